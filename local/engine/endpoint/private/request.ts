import { ServiceError } from '../../errors';

/**
 * Reads the members of one JSON request body with AWS's checks: a missing required member is a
 * `ValidationException` worded like AWS's ("Value null at 'executionArn' failed to satisfy
 * constraint: Member must not be null"); a member of the wrong JSON type is a
 * `SerializationException` naming the member, the expected type and the value received.
 */
export class RequestMembers {
  constructor(private readonly body: Record<string, unknown>) {}

  requiredString(name: string): string {
    const value = this.string(name);
    if (value === undefined) throw notNull(name);
    return value;
  }

  string(name: string): string | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string') throw wrongType(name, 'a string', value);
    return value;
  }

  integer(name: string, range?: { min: number; max: number }): number | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw wrongType(name, 'an integer', value);
    if (range && value < range.min) {
      throw validation(
        `Value '${value}' at '${name}' failed to satisfy constraint: Member must have value greater than or equal to ${range.min}`,
      );
    }
    if (range && value > range.max) {
      throw validation(
        `Value '${value}' at '${name}' failed to satisfy constraint: Member must have value less than or equal to ${range.max}`,
      );
    }
    return value;
  }

  boolean(name: string): boolean | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') throw wrongType(name, 'a boolean', value);
    return value;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T | undefined {
    const value = this.string(name);
    if (value === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(value)) {
      throw validation(
        `Value '${value}' at '${name}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
      );
    }
    return value as T;
  }
}

/** AWS reports member constraint violations as a counted list; one request fails on its first violation here. */
function validation(detail: string): ServiceError {
  return new ServiceError('ValidationException', `1 validation error detected: ${detail}`);
}

function notNull(name: string): ServiceError {
  return validation(`Value null at '${name}' failed to satisfy constraint: Member must not be null`);
}

function wrongType(name: string, expected: string, value: unknown): ServiceError {
  return new ServiceError(
    'SerializationException',
    `Member '${name}' must be ${expected}. Received ${JSON.stringify(value)}`,
  );
}

import { ServiceError } from '../errors';

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what API_StartExecution forbids in names.
const NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

/** Checks a state machine or execution name as the API does (API_StartExecution: 1 to 80 characters, none of NAME_FORBIDDEN). */
export function validateName(name: string): void {
  if (typeof name !== 'string' || name.length < 1 || name.length > 80) {
    throw new ServiceError(
      'InvalidName',
      `Invalid Name: '${name}' (name must be 1 to 80 characters, received ${typeof name === 'string' ? name.length : typeof name})`,
    );
  }
  const bad = NAME_FORBIDDEN.exec(name);
  if (bad) {
    throw new ServiceError(
      'InvalidName',
      `Invalid Name: '${name}' (name must not contain whitespace, brackets, wildcards, special or control characters; found ${JSON.stringify(bad[0])})`,
    );
  }
}

/** Returns the ARN, or throws InvalidArn when it is not one. */
export function checkArn(arn: string): string {
  if (typeof arn !== 'string' || !arn.startsWith('arn:'))
    throw new ServiceError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
  return arn;
}

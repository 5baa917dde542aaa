import { EnvironmentVariableError } from './errors';

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads a required environment variable; a missing or empty one is an `EnvironmentVariableError`
 * naming the variable, so a misdeployed function fails with a message that says what to set.
 * @example const table = requiredEnv('TABLE_NAME', process.env)
 */
export function requiredEnv(name: string, env: Environment = process.env): string {
  const value = env[name];
  if (value === undefined || value.trim() === '') {
    throw new EnvironmentVariableError(
      `environment variable ${name} is required (received ${value === undefined ? 'nothing' : 'an empty value'})`,
    );
  }
  return value;
}

/** Runs `read` on first use and returns the same value afterwards. */
export function once<T>(read: () => T): () => T {
  let cached: { value: T } | undefined;
  return () => {
    cached ??= { value: read() };
    return cached.value;
  };
}

/**
 * Errors of the run domain. Each sets `name`, which the Lambda runtime reports as the error
 * type and Step Functions surfaces as the Task's error.
 */

/** Base class of the errors the run domain raises on purpose. */
export class RunLedgerError extends Error {
  override readonly name: string = 'RunLedgerError';
}

/** The ledger refused writes even after retrying with backoff. */
export class LedgerWriteError extends RunLedgerError {
  override readonly name = 'LedgerWriteError';
}

/**
 * A ledger write was built without a value its expressions use, or with one they do not use
 * (DynamoDB refuses both), so the mistake shows where the write is built, not as a
 * ValidationException at run time.
 */
export class TransitionValuesError extends RunLedgerError {
  override readonly name = 'TransitionValuesError';
}

// asl-validator 4 ships JavaScript without type declarations; this is the part the tests call to
// compare with it (the engine runs its checks through private/asl-validation.ts).
declare module 'asl-validator' {
  interface AslValidationError {
    'Error code': string;
    Message: string;
  }
  interface AslValidationResult {
    isValid: boolean;
    errors: AslValidationError[];
    errorsText(separator?: string): string;
  }
  function validator(definition: unknown, options?: { checkPaths?: boolean; checkArn?: boolean }): AslValidationResult;
  export = validator;
}

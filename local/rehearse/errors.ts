/** Errors of a rehearsal: a cloud assembly or template it cannot stand up, named by resource and property. */
export class RehearsalError extends Error {
  override readonly name: string = 'RehearsalError';
}

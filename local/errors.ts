/** Errors the local cloud's services share. */

/** A local endpoint could not listen because another listener holds the port. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
  constructor(
    /** The port asked for. */
    readonly port: number,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

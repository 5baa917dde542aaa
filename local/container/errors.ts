/** No container engine answers, or one refused to build or find a job's image. */
export class ContainerEngineError extends Error {
  override readonly name = 'ContainerEngineError';
}

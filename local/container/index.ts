/** Local jobs in their images (`fanout run --in-image`): the engine, the images, and each attempt's run. */
export { type ContainerEngine, detectContainerEngine, ENGINE_ENVIRONMENT } from './engine';
export { ContainerEngineError } from './errors';
export { type EngineRunner, engineRunner, prepareJobImage } from './images';
export { containerInvocation, type InImageOptions } from './in-image';

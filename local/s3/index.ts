export { startS3Server, type S3Server, type S3ServerOptions } from './server';
export { S3Errors, S3ServiceError } from './errors';
export { PortInUseError } from '../private/loopback';

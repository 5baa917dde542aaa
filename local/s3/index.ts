export { PortInUseError } from '../private/loopback';
export { S3Errors, S3ServiceError } from './errors';
export { type S3Server, type S3ServerOptions, startS3Server } from './server';

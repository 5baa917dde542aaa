export { PortInUseError } from '../private/loopback';
export { type S3Server, type S3ServerOptions, startS3Server } from './server';

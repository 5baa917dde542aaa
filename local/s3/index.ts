export { PortInUseError } from '../errors';
export { type S3Server, type S3ServerOptions, startS3Server } from './server';

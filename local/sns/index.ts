export { PortInUseError } from '../errors';
export type { SnsNotification } from './notification';
export { type SnsServer, type SnsServerOptions, startSnsServer } from './server';

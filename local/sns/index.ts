export { PortInUseError } from '../private/loopback';
export type { SnsNotification } from './notification';
export { type SnsServer, type SnsServerOptions, startSnsServer } from './server';

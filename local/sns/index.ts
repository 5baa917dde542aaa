export { startSnsServer, type SnsNotification, type SnsServer, type SnsServerOptions } from './server';
export { SnsErrors, SnsServiceError } from './errors';
export { PortInUseError } from '../private/loopback';

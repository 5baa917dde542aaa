/**
 * The embedded local cloud as a library (`fanout/local`): start it, point AWS SDK clients or the
 * AWS CLI at its endpoints with its key pair, stop it. See README.md, "The local cloud".
 * @example
 * const cloud = await startLocalCloud({ dir: '.fanout' });
 * const sfn = new SFNClient({ region: cloud.region, endpoint: cloud.endpoints.stepfunctions, credentials: cloud.credentials });
 * await cloud.stop();
 */
export {
  type LocalCloud,
  type LocalCloudOptions,
  type LocalEndpoints,
  localDefinition,
  startLocalCloud,
  statemachineDir,
} from './cloud';

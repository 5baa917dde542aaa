import { startLocalCloud } from '../../local/cloud';
import type { CliIo } from '../io';
import { jobUmask } from '../private-state';

export interface LocalServeOptions {
  dir?: string;
  json?: boolean;
}

/**
 * Keeps the local cloud running for other programs until SIGINT or SIGTERM.
 * With `--json` the first stdout line is `{"region", "endpoints": {...}}`.
 */
export async function localServe(
  options: LocalServeOptions,
  io: CliIo,
  untilStopped: Promise<unknown> = stopSignal(),
): Promise<number> {
  const cloud = await startLocalCloud({ ...(options.dir ? { dir: options.dir } : {}), ...jobUmask() });
  const { stepfunctions, batch, dynamodb, s3, sns } = cloud.endpoints;
  if (options.json) {
    io.out(JSON.stringify({ region: cloud.region, endpoints: { stepfunctions, batch, dynamodb, s3, sns } }));
  } else {
    io.out(`fanout local cloud (${cloud.dir}), region ${cloud.region}`);
    for (const [service, url] of Object.entries(cloud.endpoints)) io.out(`  ${service.padEnd(14)} ${url}`);
    io.out(`  state machine  ${cloud.mapStateMachineArn}`);
    io.out(`  state machine  ${cloud.arrayStateMachineArn}`);
    io.out('Press Ctrl+C to stop.');
  }
  await untilStopped;
  await cloud.stop();
  return 0;
}

function stopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals) => resolve(signal);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/**
 * Entry point of the local Batch service's child process. Plain JavaScript so that
 * `startBatchService` can fork it with no loader flags (`execArgv: []`) whether the parent
 * runs under tsx, vitest, bin/fanout.mjs or compiled from dist/: beside the TypeScript sources it
 * registers tsx itself, then loads the service; compiled, it loads the service's JavaScript. See
 * child.ts for the protocol.
 */
import { existsSync } from 'node:fs';

// The AWS SDK's Node.js version notice would interleave with the parent's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const source = new URL('./child.ts', import.meta.url);
let child;
if (existsSync(source)) {
  const { register } = await import('tsx/esm/api');
  register();
  child = await import(source.href);
} else {
  child = await import('./child.js');
}
child.serveParent();

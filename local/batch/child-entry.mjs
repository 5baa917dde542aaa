/**
 * Entry point of the local Batch service's child process. Plain JavaScript so that
 * `startBatchService` can fork it with no loader flags (`execArgv: []`) whether the parent
 * runs under tsx, vitest or bin/fanout.mjs; it registers tsx itself, then loads the
 * service, which is TypeScript. See child.ts for the protocol.
 */
import { register } from 'tsx/esm/api';

// The AWS SDK's Node.js version notice would interleave with the parent's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
const { serveParent } = await import('./child.ts');
serveParent();

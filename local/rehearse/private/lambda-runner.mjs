/**
 * One rehearsed Lambda function's process: loads the function's staged bundle with the
 * environment Lambda would give it (its variables, its role's key pair, the local endpoints) and
 * runs each invocation the parent sends, as the Node.js runtime calls a handler.
 *
 * Plain JavaScript, forked with no loader: the bundle is what AWS runs.
 *   parent → child  { type: 'invoke', id, event, context }
 *   child → parent  { type: 'ready' } | { type: 'result', id, value } | { type: 'error', id, errorType, errorMessage, trace }
 * Argument: the bundle's file and the handler's export name, as JSON.
 */
import { createRequire } from 'node:module';

const { file, exportName } = JSON.parse(process.argv[2] ?? '{}');
const load = createRequire(file);
let handler;
try {
  handler = load(file)[exportName];
  if (typeof handler !== 'function') throw new TypeError(`${file} exports no function ${exportName}`);
} catch (error) {
  process.send({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}

process.on('message', async (message) => {
  if (message?.type !== 'invoke') return;
  const started = Date.now();
  const context = {
    ...message.context,
    getRemainingTimeInMillis: () => Math.max(0, message.context.timeoutMs - (Date.now() - started)),
    callbackWaitsForEmptyEventLoop: true,
  };
  try {
    const value = await handler(message.event, context);
    process.send({ type: 'result', id: message.id, value: value === undefined ? null : value });
  } catch (error) {
    const err = error instanceof Error ? error : new Error(String(error));
    process.send({
      type: 'error',
      id: message.id,
      errorType: err.name,
      errorMessage: err.message,
      trace: (err.stack ?? '').split('\n'),
    });
  }
});
process.on('disconnect', () => process.exit(0));
process.send({ type: 'ready' });

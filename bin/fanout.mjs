#!/usr/bin/env node
// An installed package runs the compiled CLI in dist/ (npm run build, run by npm pack). A checkout,
// which has the TypeScript sources and tsx, runs the sources through tsx's loader, so no build
// step stands between an edit and the command that uses it; without tsx (npm ci --omit=dev) it
// runs dist/.
import { existsSync } from 'node:fs';

// The pinned AWS SDK supports this Node.js; its notice is about later SDK releases and
// would otherwise interleave with the command's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const source = new URL('../cli/main.ts', import.meta.url);
const compiled = new URL('../dist/cli/main.js', import.meta.url);
const tsx = existsSync(source) ? await import('tsx/esm/api').catch(() => undefined) : undefined;
if (tsx) {
  tsx.register();
  await import(source.href);
} else if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  process.stderr.write('fanout: neither dist/ (npm run build) nor tsx (npm install) is here to run the CLI\n');
  process.exitCode = 70;
}

#!/usr/bin/env node
// Runs the TypeScript CLI through tsx's loader, so no build step stands between
// a fresh clone and a working command.
import { register } from 'tsx/esm/api';

// The pinned AWS SDK supports this Node.js; its notice is about later SDK releases and
// would otherwise interleave with the command's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

register();
await import('../cli/main.ts');

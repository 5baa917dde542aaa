import { createFanoutApp } from './fanout-app';

/** `cdk synth` / `cdk deploy` entry point (cdk.json: `npx tsx infra/app.ts`). See docs/deploy.md. */
createFanoutApp().app.synth();

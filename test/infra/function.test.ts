import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it, vi } from 'vitest';
import { FanoutFunction } from '../../infra/private/function';

vi.setConfig({ testTimeout: 120_000 });

const root = new URL('../../', import.meta.url).pathname;

describe('FanoutFunction', () => {
  it('bundles a handler with the local esbuild, without Docker', () => {
    const app = new App();
    const stack = new Stack(app, 'Bundle');
    new FanoutFunction(stack, 'Notify', {
      entry: join(root, 'lambdas', 'notify.ts'),
      projectRoot: root,
      logRetention: RetentionDays.ONE_DAY,
      removalPolicy: RemovalPolicy.DESTROY,
      description: 'Publishes the run summary',
    });
    const assembly = app.synth();
    const assets = readdirSync(assembly.directory).filter((name) => name.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    const bundle = readFileSync(join(assembly.directory, assets[0] as string, 'index.js'), 'utf8');
    // The handler's own code (it reads TOPIC_ARN) and its export.
    expect(bundle).toContain('TOPIC_ARN');
    expect(bundle).toMatch(/handler:/);
    // The SDK is bundled (its signing scheme id is in the bundle), not taken from the runtime.
    expect(bundle).toContain('aws.auth#sigv4');
  });
});

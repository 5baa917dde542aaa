import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The pinned AWS SDK supports Node 20; its notice about later releases is noise here.
    // The handlers' default loggers stay quiet in tests; tests that read log lines pass a logger
    // with its own level, which takes precedence over this variable.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'SILENT' },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: ['test/e2e/**'],
          // A CDK synth bundles the Lambdas with esbuild: seconds, more on a busy 2-core machine.
          // Speed is measured by the bench, not by test timeouts.
          testTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
          // e2e suites each start a local cloud and spawn job processes; running
          // them one at a time keeps a 2-core machine responsive.
          fileParallelism: false,
        },
      },
    ],
  },
});

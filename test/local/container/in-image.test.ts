import { describe, expect, it } from 'vitest';
import { containerInvocation } from '../../../local/container';

describe('containerInvocation', () => {
  it("runs the attempt's command in its image on the host network, passing the job's environment by name but not the host's PATH and HOME", () => {
    const invocation = containerInvocation(
      {
        command: ['python3', 'train.py', '--lr', '{lr}'],
        environment: {
          PATH: '/usr/local/bin:/usr/bin',
          HOME: '/root',
          FANOUT_KWARGS: '{"lr":0.1}',
          FANOUT_RUN_ID: 'sweep',
          AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:41234',
          AWS_SECRET_ACCESS_KEY: 'c2VjcmV0',
          NOTE: 'has spaces and "quotes"',
          CONTAINERS_CONF: '/job/containers.conf',
        },
        image: 'fanout-local/python-sweep:latest',
        attemptName: 'fanout-0a1b2c',
      },
      {
        engine: ['podman', '--runtime', 'runc'],
        engineEnvironment: { PATH: '/usr/bin', CONTAINERS_CONF: '/etc/c.conf' },
      },
    );
    expect(invocation).toEqual({
      command: [
        'podman',
        '--runtime',
        'runc',
        'run',
        '--rm',
        '--name',
        'fanout-0a1b2c',
        '--network',
        'host',
        // Names only: the values (a secret key, the kwargs) stay off the command line.
        '--env',
        'FANOUT_KWARGS',
        '--env',
        'FANOUT_RUN_ID',
        '--env',
        'AWS_ENDPOINT_URL_S3',
        '--env',
        'AWS_SECRET_ACCESS_KEY',
        '--env',
        'NOTE',
        // The engine's client needs its own value of this one.
        '--env',
        'CONTAINERS_CONF=/job/containers.conf',
        'fanout-local/python-sweep:latest',
        // Unresolved: the image's launcher resolves placeholders in the container, as on AWS.
        'python3',
        'train.py',
        '--lr',
        '{lr}',
      ],
      environment: {
        FANOUT_KWARGS: '{"lr":0.1}',
        FANOUT_RUN_ID: 'sweep',
        AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:41234',
        AWS_SECRET_ACCESS_KEY: 'c2VjcmV0',
        NOTE: 'has spaces and "quotes"',
        PATH: '/usr/bin',
        CONTAINERS_CONF: '/etc/c.conf',
      },
    });
  });
});

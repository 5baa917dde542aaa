import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config';
import { FanoutInfraError, FanoutOrchestrator, propsFromConfig } from '../../infra';
import { LAUNCHER_DOCKERFILE_LINES } from '../../job/launcher/stage';
import { SKIP_BUNDLING } from './helpers';

const where = { account: '123456789012', region: 'us-east-1' };

function configWithImage(image: unknown, extra: Record<string, unknown> = {}) {
  return parseConfig({
    computeEnvironments: [{ name: 'fanout-fargate', type: 'FARGATE', maxvCpus: 16 }],
    jobQueues: [{ name: 'fanout-high', priority: 100, computeEnvironments: ['fanout-fargate'] }],
    jobDefinitions: [{ name: 'sweep', image, ...extra }],
  });
}

/** Synthesizes a stack from the configuration into a fresh cloud assembly folder. */
function synth(image: unknown) {
  const outdir = mkdtempSync(join(tmpdir(), 'fanout-image-'));
  const app = new App({ outdir, context: { ...SKIP_BUNDLING } });
  const stack = new Stack(app, 'Images', { env: where });
  new FanoutOrchestrator(stack, 'Fanout', propsFromConfig(configWithImage(image), where));
  const assembly = app.synth();
  return { outdir, template: Template.fromStack(stack), assembly };
}

/** A build folder with a Python program and a Dockerfile, with or without the launcher lines. */
function dockerFolder(launcher: boolean): string {
  const directory = mkdtempSync(join(tmpdir(), 'fanout-sweep-'));
  writeFileSync(join(directory, 'train.py'), 'print("train")\n');
  writeFileSync(
    join(directory, 'Dockerfile'),
    ['FROM python:3.12-slim', 'WORKDIR /app', 'COPY train.py .', ...(launcher ? LAUNCHER_DOCKERFILE_LINES : [])].join(
      '\n',
    ),
  );
  return directory;
}

describe('a job image built from a folder', () => {
  it('becomes an image asset of that folder, built with the launcher build context, used by the job definition', () => {
    const directory = dockerFolder(true);
    const { outdir, template } = synth({ directory, file: 'Dockerfile' });

    const manifest = JSON.parse(readFileSync(join(outdir, 'Images.assets.json'), 'utf8')) as {
      dockerImages: Record<
        string,
        { source: { directory: string; dockerFile?: string; dockerBuildContexts?: Record<string, string> } }
      >;
    };
    const images = Object.entries(manifest.dockerImages);
    expect(images).toHaveLength(1);
    const [hash, { source }] = images[0] as [string, (typeof manifest.dockerImages)[string]];
    expect(source.dockerFile).toBe('Dockerfile');
    // The staged copy of the folder is the folder: the same Dockerfile and program.
    const staged = join(outdir, source.directory);
    expect(readFileSync(join(staged, 'Dockerfile'), 'utf8')).toBe(readFileSync(join(directory, 'Dockerfile'), 'utf8'));
    expect(readdirSync(staged).sort()).toEqual(['Dockerfile', 'train.py']);
    const launcher = source.dockerBuildContexts?.['fanout-launcher'] as string;
    expect(readdirSync(launcher).sort()).toEqual(['launch', 'launch.cjs']);

    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      JobDefinitionName: 'sweep',
      ContainerProperties: {
        Image: { 'Fn::Sub': Match.stringLikeRegexp(`container-assets-.*:${hash}$`) },
      },
    });
  });

  it('is refused when its Dockerfile does not copy the launcher in, naming the field, the file and the lines', () => {
    const directory = dockerFolder(false);
    expect(() => propsFromConfig(configWithImage({ directory }), where)).toThrow(FanoutInfraError);
    expect(() => propsFromConfig(configWithImage({ directory }), where)).toThrow(
      /jobDefinitions\.0\.image\.directory the Dockerfile .*Dockerfile must copy in fanout's launcher.*COPY --from=fanout-launcher \. \/opt\/fanout\/.*ENTRYPOINT \["\/opt\/fanout\/launch"\]/,
    );
  });

  it('is refused when the folder has no such Dockerfile', () => {
    const directory = mkdtempSync(join(tmpdir(), 'fanout-empty-'));
    expect(() => propsFromConfig(configWithImage({ directory, file: 'build/Dockerfile' }), where)).toThrow(
      /jobDefinitions\.0\.image\.directory must be a folder holding the Dockerfile build\/Dockerfile/,
    );
  });
});

describe('a job image named by URI', () => {
  const uri = '123456789012.dkr.ecr.us-east-1.amazonaws.com/team/sweep:v7';

  it('is used by the job definition, and its ECR repository alone may be pulled by the execution role', () => {
    const { template } = synth(uri);
    const definition = Object.values(template.findResources('AWS::Batch::JobDefinition'))[0] as {
      Properties: { ContainerProperties: { Image: unknown; ExecutionRoleArn: { 'Fn::GetAtt': [string, string] } } };
    };
    const image = JSON.stringify(definition.Properties.ContainerProperties.Image);
    expect(image).toContain('123456789012.dkr.ecr.us-east-1.');
    expect(image).toContain('team/sweep:v7');

    const executionRole = definition.Properties.ContainerProperties.ExecutionRoleArn['Fn::GetAtt'][0];
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy).includes(`"Ref":"${executionRole}"`),
    ) as Array<{
      Properties: { PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> } };
    }>;
    const statements = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const pull = statements.find((statement) => [statement.Action].flat().includes('ecr:BatchGetImage'));
    expect(pull?.Resource).toEqual('arn:aws:ecr:us-east-1:123456789012:repository/team/sweep');
    expect([pull?.Action].flat().sort()).toEqual([
      'ecr:BatchCheckLayerAvailability',
      'ecr:BatchGetImage',
      'ecr:GetDownloadUrlForLayer',
    ]);
  });

  it('uses a public registry image as it is', () => {
    const { template } = synth('public.ecr.aws/docker/library/python:3.12-slim');
    template.hasResourceProperties('AWS::Batch::JobDefinition', {
      ContainerProperties: { Image: 'public.ecr.aws/docker/library/python:3.12-slim' },
    });
  });
});

describe('GPUs', () => {
  it('are refused for the Fargate deployment, naming the field', () => {
    const config = configWithImage('fanout-job:latest', { gpus: 1 });
    expect(() => propsFromConfig(config, where)).toThrow(
      /jobDefinitions\.0\.gpus must be 0 for the AWS deployment: Fargate has no GPUs/,
    );
  });
});

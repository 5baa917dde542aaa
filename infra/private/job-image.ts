import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import type { Construct } from 'constructs';
import type { ImageConfig } from '../../config';
import { LAUNCHER_CONTEXT, LAUNCHER_DOCKERFILE_LINES, stageLauncher } from '../../job/launcher/stage';
import { FanoutInfraError } from '../errors';

/**
 * A job definition's image from the configuration (docs/job-image.md): a folder with a
 * Dockerfile becomes an image asset built at deploy time with the launcher's build context; an
 * ECR URI is pulled with permissions on that repository only; any other registry URI is pulled
 * as it is; a bare tag means fanout's own image (undefined here: the construct's default).
 */
export function jobImageOf(image: ImageConfig, field: string): ecs.ContainerImage | undefined {
  if (typeof image !== 'string') return folderImage(image, `${field}.directory`);
  if (!image.includes('/')) return undefined;
  const ecrImage = parseEcrUri(image);
  return ecrImage ? new EcrUriImage(ecrImage) : ecs.ContainerImage.fromRegistry(image);
}

/** An ECR image URI: `<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest]`. */
interface EcrUri {
  readonly account: string;
  readonly region: string;
  readonly repositoryName: string;
  readonly tagOrDigest: string;
  readonly partition: string;
}

const ECR_URI =
  /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([a-z0-9._/-]+?)(?::([\w][\w.-]{0,127})|@(sha256:[a-f0-9]{64}))?$/;

function parseEcrUri(uri: string): EcrUri | undefined {
  const match = ECR_URI.exec(uri);
  if (!match) return undefined;
  const [, account, region, china, repositoryName, tag, digest] = match;
  return {
    account: account as string,
    region: region as string,
    repositoryName: repositoryName as string,
    tagOrDigest: digest ?? tag ?? 'latest',
    partition: china ? 'aws-cn' : 'aws',
  };
}

/**
 * An image in an ECR repository named by URI. Bound like `ContainerImage.fromEcrRepository`, so
 * the job's execution role may pull from that repository and no other.
 */
class EcrUriImage extends ecs.ContainerImage {
  constructor(private readonly uri: EcrUri) {
    super();
  }

  override bind(scope: Construct, containerDefinition: ecs.ContainerDefinition): ecs.ContainerImageConfig {
    const { account, region, repositoryName, tagOrDigest, partition } = this.uri;
    const repository = ecr.Repository.fromRepositoryAttributes(scope, 'ImageRepository', {
      repositoryName,
      repositoryArn: `arn:${partition}:ecr:${region}:${account}:repository/${repositoryName}`,
    });
    return ecs.ContainerImage.fromEcrRepository(repository, tagOrDigest).bind(scope, containerDefinition);
  }
}

/** The image built from a folder's Dockerfile, which must copy the launcher in (docs/job-image.md). */
function folderImage(image: Exclude<ImageConfig, string>, field: string): ecs.ContainerImage {
  const dockerfile = join(image.directory, image.file);
  if (!existsSync(dockerfile)) {
    throw FanoutInfraError.of(field, `must be a folder holding the Dockerfile ${image.file}`, image.directory);
  }
  const text = readFileSync(dockerfile, 'utf8');
  const missing = LAUNCHER_DOCKERFILE_LINES.filter((line) => !text.includes(line));
  if (missing.length > 0) {
    throw FanoutInfraError.of(
      field,
      `the Dockerfile ${dockerfile} must copy in fanout's launcher, after its last FROM: add ${missing.map((line) => `\`${line}\``).join(', ')} (docs/job-image.md)`,
      image.directory,
    );
  }
  return ecs.ContainerImage.fromAsset(image.directory, {
    file: image.file,
    platform: Platform.LINUX_AMD64,
    buildContexts: { [LAUNCHER_CONTEXT]: stageLauncher() },
  });
}

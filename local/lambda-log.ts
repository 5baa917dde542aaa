import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';

/**
 * Where the local cloud's Lambda handlers log: the same structured lines as on AWS, appended to
 * `<dir>/lambdas/<function>.jsonl` (one file per function, like one CloudWatch log group per
 * function) instead of stdout, which belongs to the `fanout` command and its `--json` summary.
 */
class StateFolderLogger extends Logger {
  constructor(
    private readonly file: string,
    options: ConstructorParameters<typeof Logger>[0],
  ) {
    super(options);
  }

  protected override printLog(_level: number, log: Parameters<Logger['printLog']>[1]): void {
    appendFileSync(this.file, `${JSON.stringify(log.getAttributes())}\n`);
  }

  protected override createLogger(options?: ConstructorParameters<typeof Logger>[0]): Logger {
    return new StateFolderLogger(this.file, options);
  }
}

/**
 * The logger of one local Lambda function.
 * @example lambdaLogger('.fanout', 'fanout-prepare').info('input accepted', { itemCount: 300 })
 */
export function lambdaLogger(stateDir: string, functionName: string): Logger {
  const folder = join(stateDir, 'lambdas');
  mkdirSync(folder, { recursive: true });
  return new StateFolderLogger(join(folder, `${functionName}.jsonl`), {
    serviceName: 'fanout',
    logLevel: 'INFO',
    persistentKeys: { function: functionName },
  });
}

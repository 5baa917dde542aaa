import { Logger } from '@aws-lambda-powertools/logger';

/** A Powertools Logger that keeps its lines, children's included, for a test to read. */
export class CapturingLogger extends Logger {
  constructor(
    readonly lines: Array<Record<string, unknown>> = [],
    options: ConstructorParameters<typeof Logger>[0] = { serviceName: 'fanout', logLevel: 'INFO' },
  ) {
    super(options);
  }

  protected override printLog(_level: number, log: Parameters<Logger['printLog']>[1]): void {
    this.lines.push(log.getAttributes() as Record<string, unknown>);
  }

  protected override createLogger(options?: ConstructorParameters<typeof Logger>[0]): Logger {
    return new CapturingLogger(this.lines, options);
  }
}

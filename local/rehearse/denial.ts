/** A call IAM denied during a rehearsal. */
export interface Denial {
  readonly roleArn: string;
  readonly action: string;
  readonly resource: string;
  /** As AWS words it: `User: <caller> is not authorized to perform: <action> on resource: <arn> ...`. */
  readonly message: string;
}

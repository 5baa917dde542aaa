/**
 * Raised while the stack is built (synth) when a prop, the configuration file or a state
 * machine definition breaks a rule. The message names the prop (or file), the rule and the
 * value received, so `cdk synth` fails before anything is deployed.
 */
export class FanoutInfraError extends Error {
  override readonly name = 'FanoutInfraError';

  /**
   * A prop that breaks a rule.
   * @example throw FanoutInfraError.of('jobDefinitions[0].vcpus', 'must be a Fargate vCPU size', 3)
   */
  static of(prop: string, rule: string, received: unknown): FanoutInfraError {
    return new FanoutInfraError(`${prop} ${rule} (received ${describe(received)})`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

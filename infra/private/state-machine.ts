import { RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { analyzeDefinition, readDefinition, substitutionsFor } from './definition';
import { acknowledgeWildcards } from './nag';
import { type MachineAccess, statementsFor } from './state-machine-grants';

/**
 * A state machine from its ASL file, with every placeholder substituted from `known` and a role
 * holding exactly what its states call (see `analyzeDefinition`).
 */
export function createStateMachine(
  scope: Construct,
  id: string,
  name: string,
  file: string,
  known: Readonly<Record<string, string>>,
  access: MachineAccess,
  logRetention: logs.RetentionDays,
): sfn.StateMachine {
  const text = readDefinition(file);
  const definitionSubstitutions = substitutionsFor(file, text, known);
  const needs = analyzeDefinition(file, text);
  const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
    // The vended-logs prefix keeps CloudWatch's resource policy small (docs: step-functions/latest/dg/cw-logs.html).
    logGroupName: `/aws/vendedlogs/states/${name}`,
    retention: logRetention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const stateMachine = new sfn.StateMachine(scope, id, {
    stateMachineName: name,
    stateMachineType: sfn.StateMachineType.STANDARD,
    definitionBody: sfn.DefinitionBody.fromFile(file),
    definitionSubstitutions,
    tracingEnabled: true,
    // Item payloads stay out of the logs (the ledger and the execution history keep them).
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
  });
  const grants = statementsFor(scope, name, file, needs, access);
  for (const statement of grants.statements) stateMachine.addToRolePolicy(statement);
  acknowledgeWildcards(stateMachine.role, grants.findings);
  return stateMachine;
}

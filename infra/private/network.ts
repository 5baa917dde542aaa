import { RemovalPolicy } from 'aws-cdk-lib';
import type * as batch from 'aws-cdk-lib/aws-batch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { checkInteger } from './validate';

/** The network the jobs run in: a VPC without NAT gateways, and endpoints that keep their traffic off the internet. */

/** A VPC of public subnets only (no NAT gateway), logging the traffic it rejects. */
export function createVpc(scope: Construct, maxAzs: number, logRetention: logs.RetentionDays): ec2.Vpc {
  checkInteger('maxAzs', maxAzs, 1, 6);
  const vpc = new ec2.Vpc(scope, 'Vpc', {
    maxAzs,
    natGateways: 0,
    subnetConfiguration: [{ name: 'jobs', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 20 }],
    // Nothing uses the default security group; restricting it would add a custom resource Lambda.
    restrictDefaultSecurityGroup: false,
  });
  const flowLogs = new logs.LogGroup(scope, 'VpcFlowLogs', {
    retention: logRetention,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  vpc.addFlowLog('FlowLog', {
    destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
    trafficType: ec2.FlowLogTrafficType.REJECT,
  });
  return vpc;
}

/** S3 (gateway, free) and ECR and CloudWatch Logs (interface) endpoints, reachable from the jobs only. */
export function addVpcEndpoints(
  scope: Construct,
  vpc: ec2.IVpc,
  environments: readonly batch.FargateComputeEnvironment[],
): void {
  const subnets = {
    subnetType: vpc.privateSubnets.length > 0 ? ec2.SubnetType.PRIVATE_WITH_EGRESS : ec2.SubnetType.PUBLIC,
  };
  new ec2.GatewayVpcEndpoint(scope, 'S3Endpoint', { vpc, service: ec2.GatewayVpcEndpointAwsService.S3 });
  for (const [id, service] of [
    ['EcrApiEndpoint', ec2.InterfaceVpcEndpointAwsService.ECR],
    ['EcrDockerEndpoint', ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER],
    ['LogsEndpoint', ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS],
  ] as const) {
    const endpoint = new ec2.InterfaceVpcEndpoint(scope, id, {
      vpc,
      service,
      subnets,
      privateDnsEnabled: true,
      open: false,
    });
    for (const environment of environments)
      endpoint.connections.allowDefaultPortFrom(
        environment,
        `HTTPS from the ${environment.computeEnvironmentName} jobs`,
      );
  }
}

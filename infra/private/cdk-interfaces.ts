import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/*
 * Our Bucket, Table and Vpc constructs seen through the interfaces they implement.
 *
 * aws-cdk-lib declares some optional members of these classes (`isWebsite`, `tableStreamArn`,
 * `vpnGatewayId`) as getters typed `T | undefined`, while IBucket, ITable and IVpc declare them
 * `member?: T`. With exactOptionalPropertyTypes the compiler then refuses a Bucket where an IBucket
 * is expected, although the class implements the interface (aws/aws-cdk#37996). These upcasts are
 * the only type assertions that flag needs, kept in one place; delete them once aws-cdk-lib declares
 * the members as its interfaces do. They return their argument unchanged.
 */

export const asIBucket = (bucket: s3.Bucket): s3.IBucket => bucket as s3.IBucket;

export const asITable = (table: dynamodb.Table): dynamodb.ITable => table as dynamodb.ITable;

export const asIVpc = (vpc: ec2.Vpc): ec2.IVpc => vpc as ec2.IVpc;

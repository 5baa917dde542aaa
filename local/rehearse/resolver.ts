/**
 * Resolves the intrinsic functions of a template the way CloudFormation would at deploy time
 * (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html):
 * `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::GetAZs` and the
 * pseudo parameters. Physical names are the ones a template gives, else a stable name made as
 * CloudFormation makes one (`<stack>-<logical id>-<suffix>`). Anything else is an error naming
 * the resource and the property it was met in.
 */
import { createHash } from 'node:crypto';
import type { CloudAssembly, TemplateResource } from './assembly';
import { RehearsalError } from './errors';

/** How a resource type is named and what `Ref` and `Fn::GetAtt` give (each type's "Return values"). */
interface NamingRule {
  /** The property that holds the physical name, when the template sets it. */
  readonly nameProperty?: string;
  /** Generated names of this type are lower case (S3 buckets). */
  readonly lowerCase?: boolean;
  readonly maxLength?: number;
  /** What `Ref` returns: the name, or the ARN. */
  readonly ref: 'name' | 'arn';
  arn?(name: string, env: { region: string; account: string }, properties: Readonly<Record<string, unknown>>): string;
  /** `Fn::GetAtt` attributes other than `Arn`. */
  readonly attributes?: Readonly<Record<string, (name: string, arn: string) => string>>;
}

const RULES: Readonly<Record<string, NamingRule>> = {
  'AWS::DynamoDB::Table': {
    nameProperty: 'TableName',
    ref: 'name',
    arn: (name, e) => `arn:aws:dynamodb:${e.region}:${e.account}:table/${name}`,
  },
  'AWS::S3::Bucket': {
    nameProperty: 'BucketName',
    lowerCase: true,
    maxLength: 63,
    ref: 'name',
    arn: (name) => `arn:aws:s3:::${name}`,
    attributes: { DomainName: (name) => `${name}.s3.amazonaws.com` },
  },
  'AWS::SNS::Topic': {
    nameProperty: 'TopicName',
    ref: 'arn',
    arn: (name, e) => `arn:aws:sns:${e.region}:${e.account}:${name}`,
    attributes: { TopicArn: (_name, arn) => arn, TopicName: (name) => name },
  },
  'AWS::IAM::Role': {
    nameProperty: 'RoleName',
    maxLength: 64,
    ref: 'name',
    arn: (name, e, p) => `arn:aws:iam::${e.account}:role${typeof p.Path === 'string' ? p.Path : '/'}${name}`,
    attributes: { RoleId: (name) => `AROA${hash(name, 17).toUpperCase()}` },
  },
  'AWS::Lambda::Function': {
    nameProperty: 'FunctionName',
    maxLength: 64,
    ref: 'name',
    arn: (name, e) => `arn:aws:lambda:${e.region}:${e.account}:function:${name}`,
  },
  'AWS::Batch::ComputeEnvironment': {
    nameProperty: 'ComputeEnvironmentName',
    maxLength: 128,
    ref: 'arn',
    arn: (name, e) => `arn:aws:batch:${e.region}:${e.account}:compute-environment/${name}`,
    attributes: { ComputeEnvironmentArn: (_name, arn) => arn },
  },
  'AWS::Batch::JobQueue': {
    nameProperty: 'JobQueueName',
    maxLength: 128,
    ref: 'arn',
    arn: (name, e) => `arn:aws:batch:${e.region}:${e.account}:job-queue/${name}`,
    attributes: { JobQueueArn: (_name, arn) => arn },
  },
  'AWS::Batch::JobDefinition': {
    nameProperty: 'JobDefinitionName',
    maxLength: 128,
    ref: 'arn',
    // Registered once by the rehearsal: revision 1.
    arn: (name, e) => `arn:aws:batch:${e.region}:${e.account}:job-definition/${name}:1`,
    attributes: { JobDefinitionArn: (_name, arn) => arn },
  },
  'AWS::Batch::SchedulingPolicy': {
    nameProperty: 'Name',
    ref: 'arn',
    arn: (name, e) => `arn:aws:batch:${e.region}:${e.account}:scheduling-policy/${name}`,
  },
  'AWS::StepFunctions::StateMachine': {
    nameProperty: 'StateMachineName',
    maxLength: 80,
    ref: 'arn',
    arn: (name, e) => `arn:aws:states:${e.region}:${e.account}:stateMachine:${name}`,
    attributes: { Name: (name) => name },
  },
  'AWS::Logs::LogGroup': {
    nameProperty: 'LogGroupName',
    ref: 'name',
    arn: (name, e) => `arn:aws:logs:${e.region}:${e.account}:log-group:${name}:*`,
  },
  'AWS::KMS::Key': {
    ref: 'name',
    arn: (name, e) => `arn:aws:kms:${e.region}:${e.account}:key/${name}`,
    attributes: { KeyId: (name) => name },
  },
  'AWS::EC2::SecurityGroup': { ref: 'name', attributes: { GroupId: (name) => name } },
  'AWS::EC2::VPC': { ref: 'name', attributes: { CidrBlock: () => '10.0.0.0/16' } },
};

function hash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

/** A template value with its intrinsic functions resolved. */
export type Resolved = string | number | boolean | null | Resolved[] | { [key: string]: Resolved };

export class TemplateResolver {
  private readonly names = new Map<string, string>();

  constructor(private readonly assembly: CloudAssembly) {}

  get region(): string {
    return this.assembly.region;
  }

  get account(): string {
    return this.assembly.account;
  }

  /** Logical ids and resources of one type, in template order. */
  resourcesOfType(type: string): Array<[string, TemplateResource]> {
    return Object.entries(this.assembly.template.Resources).filter(([, resource]) => resource.Type === type);
  }

  private resource(logicalId: string, where: string): TemplateResource {
    const resource = this.assembly.template.Resources[logicalId];
    if (!resource) throw new RehearsalError(`${where}: no resource ${logicalId} in the template`);
    return resource;
  }

  /** The resource's physical name: its name property, or one made as CloudFormation makes it. */
  physicalName(logicalId: string): string {
    const cached = this.names.get(logicalId);
    if (cached !== undefined) return cached;
    const resource = this.resource(logicalId, logicalId);
    const rule = RULES[resource.Type];
    const given = rule?.nameProperty === undefined ? undefined : resource.Properties?.[rule.nameProperty];
    let name: string;
    if (given !== undefined) {
      const value = this.resolve(given, `${logicalId}.${rule?.nameProperty}`);
      if (typeof value !== 'string') {
        throw new RehearsalError(`${logicalId}.${rule?.nameProperty}: must resolve to a string`);
      }
      name = value;
    } else {
      const maxLength = rule?.maxLength ?? 128;
      const suffix = hash(`${this.assembly.stackName}/${logicalId}`, 12).toUpperCase();
      const head = `${this.assembly.stackName}-${logicalId}`.slice(0, maxLength - suffix.length - 1);
      name = `${head}-${suffix}`;
      if (rule?.lowerCase) name = name.toLowerCase();
    }
    this.names.set(logicalId, name);
    return name;
  }

  /** The resource's ARN. */
  arn(logicalId: string, where = logicalId): string {
    const resource = this.resource(logicalId, where);
    const rule = RULES[resource.Type];
    if (!rule?.arn)
      throw new RehearsalError(`${where}: the rehearsal cannot make the ARN of a ${resource.Type} (${logicalId})`);
    return rule.arn(this.physicalName(logicalId), this.assembly, resource.Properties ?? {});
  }

  private ref(logicalId: string, where: string): string {
    const pseudo = this.pseudoParameter(logicalId);
    if (pseudo !== undefined) return pseudo;
    const parameter = this.assembly.template.Parameters?.[logicalId];
    if (parameter) {
      if (typeof parameter.Default === 'string' && !parameter.Type?.startsWith('AWS::SSM::')) return parameter.Default;
      throw new RehearsalError(`${where}: parameter ${logicalId} has no value a rehearsal can use`);
    }
    const resource = this.resource(logicalId, where);
    return RULES[resource.Type]?.ref === 'arn' ? this.arn(logicalId, where) : this.physicalName(logicalId);
  }

  private getAtt(logicalId: string, attribute: string, where: string): string {
    const resource = this.resource(logicalId, where);
    if (attribute === 'Arn' || attribute.endsWith('.Arn')) return this.arn(logicalId, where);
    const read = RULES[resource.Type]?.attributes?.[attribute];
    if (!read) {
      throw new RehearsalError(`${where}: Fn::GetAtt ${logicalId}.${attribute} of a ${resource.Type} is not supported`);
    }
    return read(this.physicalName(logicalId), RULES[resource.Type]?.arn ? this.arn(logicalId, where) : '');
  }

  private pseudoParameter(name: string): string | undefined {
    switch (name) {
      case 'AWS::Region':
        return this.assembly.region;
      case 'AWS::AccountId':
        return this.assembly.account;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return this.assembly.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${this.assembly.region}:${this.assembly.account}:stack/${this.assembly.stackName}/rehearsal`;
      case 'AWS::NoValue':
        return undefined;
      default:
        return undefined;
    }
  }

  /** `value` with every intrinsic function resolved; `where` names the resource and property for errors. */
  resolve(value: unknown, where: string): Resolved {
    if (value === null || typeof value !== 'object') return value as Resolved;
    if (Array.isArray(value)) return value.map((item, index) => this.resolve(item, `${where}[${index}]`));
    const entries = Object.entries(value as Record<string, unknown>);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
      return this.intrinsic(first[0], first[1], where);
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, this.resolve(item, `${where}.${key}`)]));
  }

  /** `value` resolved, which must be a string. */
  resolveString(value: unknown, where: string): string {
    const resolved = this.resolve(value, where);
    if (typeof resolved !== 'string')
      throw new RehearsalError(`${where}: must resolve to a string (got ${JSON.stringify(resolved)})`);
    return resolved;
  }

  private intrinsic(name: string, argument: unknown, where: string): Resolved {
    const at = `${where} (${name})`;
    switch (name) {
      case 'Ref':
        if (typeof argument !== 'string') throw new RehearsalError(`${at}: Ref takes a logical id`);
        return this.ref(argument, where);
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(argument) ? argument : String(argument).split(/\.(.*)/s);
        return this.getAtt(String(id), String(attribute), where);
      }
      case 'Fn::Join': {
        const [separator, items] = argument as [string, unknown];
        const list = this.resolve(items, at);
        if (!Array.isArray(list)) throw new RehearsalError(`${at}: the list to join must resolve to a list`);
        return list.map((item) => (typeof item === 'string' ? item : JSON.stringify(item))).join(separator);
      }
      case 'Fn::Select': {
        const [index, items] = argument as [unknown, unknown];
        const list = this.resolve(items, at);
        const i = Number(this.resolve(index, at));
        if (!Array.isArray(list) || !Number.isInteger(i) || i < 0 || i >= list.length) {
          throw new RehearsalError(`${at}: index ${i} is outside the list`);
        }
        return list[i] as Resolved;
      }
      case 'Fn::Split': {
        const [separator, text] = argument as [string, unknown];
        return this.resolveString(text, at).split(separator);
      }
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((zone) => `${this.assembly.region}${zone}`);
      case 'Fn::Sub':
        return this.sub(argument, at);
      default:
        throw new RehearsalError(`${at}: the rehearsal does not resolve ${name}`);
    }
  }

  private sub(argument: unknown, where: string): string {
    const [text, variables]: [unknown, Record<string, unknown>] = Array.isArray(argument)
      ? (argument as [string, Record<string, unknown>])
      : [argument, {}];
    if (typeof text !== 'string') throw new RehearsalError(`${where}: Fn::Sub takes a string`);
    return text.replace(/\$\{([^}]+)\}/g, (whole, expression: string) => {
      if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
      if (expression in variables) return this.resolveString(variables[expression], where);
      const dot = expression.indexOf('.');
      if (dot > 0 && !expression.startsWith('AWS::')) {
        return this.getAtt(expression.slice(0, dot), expression.slice(dot + 1), where);
      }
      const value = this.ref(expression, where);
      if (value === undefined) throw new RehearsalError(`${where}: ${whole} names nothing`);
      return value;
    });
  }
}

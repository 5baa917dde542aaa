/**
 * Who may do what in a rehearsal: one key pair per role of the template, and the decision for
 * each call a role's key signs, from the role's policies and the resource's policy. Every
 * denial is also recorded, since AWS surfaces some only in CloudTrail (a best-effort
 * TerminateJob, for one) and a rehearsal must not let them pass unseen.
 */
import type { IncomingMessage } from 'node:http';
import { accessDeniedMessage, evaluate, type Policy } from '../../iam';
import type { EndpointAccess } from '../../private/request-gate.mjs';
import { generateLocalCredentials, type LocalCredentials } from '../../private/sigv4.mjs';
import type { Denial } from '../denial';
import type { RehearsedRole, RehearsedStack } from '../stack';
import {
  type AccountScope,
  batchPermissions,
  dynamodbPermissions,
  type RequiredPermission,
  s3Permissions,
  snsPermissions,
  statesPermissions,
} from './actions';

type Service = 'dynamodb' | 's3' | 'sns' | 'batch' | 'states';

const PERMISSIONS: Record<
  Service,
  (request: IncomingMessage, body: Buffer | undefined, scope: AccountScope) => RequiredPermission[]
> = {
  dynamodb: dynamodbPermissions,
  s3: (request) => s3Permissions(request),
  sns: snsPermissions,
  batch: batchPermissions,
  states: (request, body) => statesPermissions(request, body),
};

export class Authority {
  /** The key pair of the user running the rehearsal, allowed everything (user IAM is not rehearsed). */
  readonly userCredentials: LocalCredentials = generateLocalCredentials();
  readonly denials: Denial[] = [];
  private readonly keys = new Map<string, { credentials: LocalCredentials; role: RehearsedRole }>();
  private readonly keyOfRole = new Map<string, LocalCredentials>();
  private readonly scope: AccountScope;

  constructor(private readonly stack: RehearsedStack) {
    this.scope = { region: stack.resolver.region, account: stack.resolver.account };
    for (const role of stack.roles.values()) {
      const credentials = generateLocalCredentials();
      this.keys.set(credentials.accessKeyId, { credentials, role });
      this.keyOfRole.set(role.arn, credentials);
    }
  }

  /** The key pair a role's principals sign with. */
  credentialsOf(roleArn: string): LocalCredentials {
    const credentials = this.keyOfRole.get(roleArn);
    if (!credentials) throw new RangeError(`no role ${roleArn} in the template`);
    return credentials;
  }

  /** The endpoint access of a service: every role's key accepted, each call checked. */
  access(service: Service): EndpointAccess {
    return {
      secretFor: (accessKeyId) => this.keys.get(accessKeyId)?.credentials.secretAccessKey,
      authorize: ({ accessKeyId, request, body }) => {
        const caller = this.keys.get(accessKeyId);
        if (!caller) return undefined;
        for (const permission of PERMISSIONS[service](request, body, this.scope)) {
          const denial = this.check(caller.role.arn, permission);
          if (denial) return denial;
        }
        return undefined;
      },
    };
  }

  /** The denial message when the role may not make the call, else undefined. */
  check(roleArn: string, permission: RequiredPermission): string | undefined {
    const role = this.stack.roles.get(roleArn);
    const request = {
      principalArn: roleArn,
      accountId: this.scope.account,
      action: permission.action,
      resource: permission.resource,
      context: {
        // The SDKs call AWS over HTTPS; the local endpoints are plain HTTP on loopback.
        'aws:SecureTransport': 'true',
        'aws:PrincipalArn': roleArn,
        'aws:PrincipalAccount': this.scope.account,
        'aws:RequestedRegion': this.scope.region,
        ...permission.context,
      },
    };
    const resourcePolicy = this.resourcePolicy(permission.resource);
    const decision = evaluate(request, {
      identityPolicies: role?.policies ?? [],
      ...(resourcePolicy ? { resourcePolicy } : {}),
    });
    if (decision.decision === 'Allow') return undefined;
    const roleName = role?.name ?? roleArn.split('/').at(-1);
    const message = accessDeniedMessage(
      request,
      decision,
      `arn:aws:sts::${this.scope.account}:assumed-role/${roleName}/rehearsal`,
    );
    this.denials.push({ roleArn, action: permission.action, resource: permission.resource, message });
    return message;
  }

  private resourcePolicy(resource: string): Policy | undefined {
    const bucket = /^arn:aws:s3:::([^/]+)/.exec(resource)?.[1];
    if (bucket) return this.stack.buckets.find((b) => b.name === bucket)?.policy;
    return this.stack.topics.find((topic) => topic.arn === resource)?.policy;
  }
}

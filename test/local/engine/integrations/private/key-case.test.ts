import { describe, expect, it } from 'vitest';
import { toCamelCaseKeys, toPascalCaseKeys } from '../../../../../local/engine/integrations/private/key-case';

describe('key case conversion', () => {
  it('lowers the first letter of every member name in nested objects and arrays', () => {
    expect(
      toCamelCaseKeys({
        NodeOverrides: {
          NumNodes: 2,
          NodePropertyOverrides: [{ TargetNodes: '0:', ContainerOverrides: { Vcpus: 4 } }],
        },
      }),
    ).toEqual({
      nodeOverrides: { numNodes: 2, nodePropertyOverrides: [{ targetNodes: '0:', containerOverrides: { vcpus: 4 } }] },
    });
  });

  it('keeps the keys of user-keyed maps in both directions', () => {
    const pascal = {
      Parameters: { Seed: '1' },
      Tags: { Owner: 'me' },
      EksPropertiesOverride: { PodProperties: { Metadata: { Labels: { App: 'x' } } } },
    };
    const camel = {
      parameters: { Seed: '1' },
      tags: { Owner: 'me' },
      eksPropertiesOverride: { podProperties: { metadata: { labels: { App: 'x' } } } },
    };
    expect(toCamelCaseKeys(pascal)).toEqual(camel);
    expect(toPascalCaseKeys(camel)).toEqual(pascal);
  });

  it('drops undefined members and renders bytes as base64 on the way out', () => {
    expect(toPascalCaseKeys({ jobId: 'j', statusReason: undefined, data: Uint8Array.from([1, 2, 3]) })).toEqual({
      JobId: 'j',
      Data: 'AQID',
    });
  });
});

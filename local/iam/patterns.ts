/**
 * Wildcard matching as IAM does it: `*` matches any run of characters and `?` any one character
 * ("Action", "Resource" and the `*Like` condition operators).
 */

const cache = new Map<string, RegExp>();

function wildcard(pattern: string, ignoreCase: boolean): RegExp {
  const cacheKey = `${ignoreCase ? 'i' : 's'}${pattern}`;
  let regex = cache.get(cacheKey);
  if (!regex) {
    const source = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    regex = new RegExp(`^${source}$`, ignoreCase ? 'is' : 's');
    cache.set(cacheKey, regex);
  }
  return regex;
}

/** True when `value` matches `pattern`. */
export function matchesWildcard(pattern: string, value: string, ignoreCase = false): boolean {
  return wildcard(pattern, ignoreCase).test(value);
}

/** Actions (`service:Operation`) match case-insensitively. */
export function matchesAction(pattern: string, action: string): boolean {
  return matchesWildcard(pattern, action, true);
}

/**
 * ARNs match segment by segment (partition, service, region, account), each case-sensitively;
 * the resource part, which may hold colons and slashes itself, matches as a whole. `*` alone
 * matches every resource.
 */
export function matchesArn(pattern: string, arn: string): boolean {
  if (pattern === '*') return true;
  const patternParts = splitArn(pattern);
  const arnParts = splitArn(arn);
  if (!patternParts || !arnParts) return matchesWildcard(pattern, arn);
  return patternParts.every((part, index) => matchesWildcard(part, arnParts[index] as string));
}

/** `arn:partition:service:region:account:resource`, the resource part kept whole. */
function splitArn(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/**
 * The `fanout` process creates everything owner-only, 0700 folders and 0600 files, whatever
 * the user's umask: job logs, the ledger, inputs with their kwargs and reports are nobody
 * else's to read (docs/threat-model.md). Jobs keep the user's own umask, since what they write
 * is the user's work, not fanout's state.
 */

let userUmask: number | undefined;

/** Makes this process's files private; called once, where the `fanout` process starts. */
export function keepStatePrivate(): void {
  userUmask ??= process.umask(0o077);
}

/** The umask jobs get: the user's, when `keepStatePrivate` changed this process's. */
export function jobUmask(): { jobUmask: number } | Record<string, never> {
  return userUmask === undefined ? {} : { jobUmask: userUmask };
}

/**
 * How quickly the `fanout` command starts, against a bare `node -e 0` on the same machine.
 *
 *   npx tsx bench/startup.ts [--repeat 15]
 *
 * Builds `dist/` (npm run build) and lays the package out as `npm install` does (bin/, dist/,
 * package.json, node_modules), then times, as the median of `--repeat` interleaved runs: `fanout --help`,
 * `fanout --version`, `fanout status` without a run id (parsing only) and `fanout status RUNID`
 * of a finished 2-item run (which starts the ledger's DynamoDB); `fanout local exec` of a Pass-only
 * definition (the engine alone, no local service); and `fanout --help` and that `local exec` from
 * the sources through tsx, as a checkout runs them. Prints one JSON line, ratios against `node -e 0`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const root = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { repeat: { type: 'string', default: '15' } } });
const repeat = Number(values.repeat);
const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', NO_COLOR: '1' };

execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'ignore' });
const installed = mkdtempSync(join(tmpdir(), 'fanout-startup-'));
const packageDir = join(installed, 'fanout');
mkdirSync(join(packageDir, 'bin'), { recursive: true });
copyFileSync(join(root, 'bin', 'fanout.mjs'), join(packageDir, 'bin', 'fanout.mjs'));
copyFileSync(join(root, 'package.json'), join(packageDir, 'package.json'));
symlinkSync(join(root, 'dist'), join(packageDir, 'dist'));
symlinkSync(join(root, 'node_modules'), join(packageDir, 'node_modules'));
const work = join(installed, 'work');
mkdirSync(work);

interface Scenario {
  args: string[];
  /** Runs untimed before each timed run. */
  before?: () => void;
}

/**
 * Median wall time of each scenario in milliseconds. The scenarios take turns, one run each per
 * round, so a change in the machine's load while the bench runs weighs on all of them alike, the
 * `node -e 0` baseline included, and the ratios stay comparable.
 */
function medians<K extends string>(scenarios: Record<K, Scenario>): Record<K, number> {
  const times = new Map<K, number[]>();
  for (let i = 0; i < repeat; i++) {
    for (const [key, { args, before }] of Object.entries(scenarios) as [K, Scenario][]) {
      before?.();
      const start = process.hrtime.bigint();
      spawnSync(process.execPath, args, { cwd: work, env, stdio: 'ignore' });
      times.set(key, [...(times.get(key) ?? []), Number(process.hrtime.bigint() - start) / 1e6]);
    }
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  return Object.fromEntries([...times].map(([key, values]) => [key, median(values)])) as Record<K, number>;
}

const fanout = join(packageDir, 'bin', 'fanout.mjs');
writeFileSync(
  join(work, 'input.json'),
  JSON.stringify({ items: [{ n: 1 }, { n: 2 }], command: ['sh', '-c', 'echo {n}'], runId: 'startup-bench' }),
);
execFileSync(process.execPath, [fanout, 'run', 'input.json', '--json'], { cwd: work, env, stdio: 'ignore' });
writeFileSync(
  join(work, 'pass.json'),
  JSON.stringify({ StartAt: 'P', States: { P: { Type: 'Pass', Result: { ok: true }, End: true } } }),
);
writeFileSync(join(work, 'pass-input.json'), '{}');
const localExec = ['local', 'exec', '--definition', 'pass.json', '--input', 'pass-input.json'];
// Each must succeed before it is timed (a failure would time as fast); from the sources this also fills tsx's cache.
for (const bin of [fanout, join(root, 'bin', 'fanout.mjs')]) {
  execFileSync(process.execPath, [bin, ...localExec], { cwd: work, env, stdio: 'ignore' });
}

const { node, ...timed } = medians({
  node: { args: ['-e', '0'] },
  help: { args: [fanout, '--help'] },
  version: { args: [fanout, '--version'] },
  statusUsage: { args: [fanout, 'status'] },
  statusRun: { args: [fanout, 'status', 'startup-bench'] },
  statusRunFromStore: {
    args: [fanout, 'status', 'startup-bench'],
    before: () => rmSync(join(work, '.fanout', 'ledger-snapshot.json'), { force: true }),
  },
  helpFromSources: { args: [join(root, 'bin', 'fanout.mjs'), '--help'] },
  localExecPass: { args: [fanout, ...localExec] },
  localExecPassFromSources: { args: [join(root, 'bin', 'fanout.mjs'), ...localExec] },
});
const ratio = (ms: number) => Number((ms / node).toFixed(2));
const result = {
  repeat,
  nodeMs: Number(node.toFixed(1)),
  ms: Object.fromEntries(Object.entries(timed).map(([key, ms]) => [key, Number(ms.toFixed(1))])),
  ratio: Object.fromEntries(Object.entries(timed).map(([key, ms]) => [key, ratio(ms)])),
};
rmSync(installed, { recursive: true, force: true });
console.log(JSON.stringify(result));

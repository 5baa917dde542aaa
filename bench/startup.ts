/**
 * How quickly the `fanout` command starts, against a bare `node -e 0` on the same machine.
 *
 *   npx tsx bench/startup.ts [--repeat 15]
 *
 * Builds `dist/` (npm run build) and lays the package out as `npm install` does (bin/, dist/,
 * package.json, node_modules), then times, as the median of `--repeat` runs: `fanout --help`,
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

/** Median wall time of `node args...` in milliseconds; `before` runs untimed before each. */
function median(args: string[], before: () => void = () => undefined): number {
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    before();
    const start = process.hrtime.bigint();
    spawnSync(process.execPath, args, { cwd: work, env, stdio: 'ignore' });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
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

const node = median(['-e', '0']);
const timed = {
  help: median([fanout, '--help']),
  version: median([fanout, '--version']),
  statusUsage: median([fanout, 'status']),
  statusRun: median([fanout, 'status', 'startup-bench']),
  statusRunFromStore: median([fanout, 'status', 'startup-bench'], () =>
    rmSync(join(work, '.fanout', 'ledger-snapshot.json'), { force: true }),
  ),
  helpFromSources: median([join(root, 'bin', 'fanout.mjs'), '--help']),
  localExecPass: median([fanout, ...localExec]),
  localExecPassFromSources: median([join(root, 'bin', 'fanout.mjs'), ...localExec]),
};
const ratio = (ms: number) => Number((ms / node).toFixed(2));
const result = {
  repeat,
  nodeMs: Number(node.toFixed(1)),
  ms: Object.fromEntries(Object.entries(timed).map(([key, ms]) => [key, Number(ms.toFixed(1))])),
  ratio: Object.fromEntries(Object.entries(timed).map(([key, ms]) => [key, ratio(ms)])),
};
rmSync(installed, { recursive: true, force: true });
console.log(JSON.stringify(result));

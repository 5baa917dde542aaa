/**
 * `npm run bench`: every benchmark of the project, each scenario in a process of its
 * own so that peak memory is the scenario's own. Prints a table and writes
 * bench/results/latest.json.
 *
 *   npm run bench                 # CLI start-up (and local exec) vs node, engine, 10,000-item overhead vs xargs, 100,000-item run, run report in Chromium
 *   npm run bench -- --quick      # 2,000 items instead, no 100,000-item run
 */
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..');

async function scenario(script: string, args: string[] = []): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', join(root, 'bench', script), ...args], {
    cwd: root,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const json = stdout.slice(stdout.indexOf('{'));
  return JSON.parse(json) as Record<string, unknown>;
}

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false } } });
const items = values.quick ? 2_000 : 10_000;
const vcpus = String(availableParallelism());
const results: Record<string, unknown> = { machine: { cores: availableParallelism(), node: process.version } };

console.log('startup: the installed fanout command against node -e 0 ...');
results.startup = await scenario('startup.ts', ['--repeat', values.quick ? '5' : '15']);
console.log(JSON.stringify(results.startup));

console.log('engine: Distributed Map of Pass children, inline Map, 100,000 items ...');
results.engine = await scenario('engine.ts');
console.log(JSON.stringify(results.engine));

console.log(`overhead: ${items} no-op items, xargs -P ${vcpus} baseline ...`);
const xargs = await scenario('overhead.ts', ['--mode', 'xargs', '--items', String(items), '--vcpus', vcpus]);
console.log(JSON.stringify(xargs));
console.log(`overhead: ${items} no-op items through the Map path on the local cloud ...`);
const fanout = await scenario('overhead.ts', ['--mode', 'fanout', '--items', String(items), '--vcpus', vcpus]);
console.log(JSON.stringify(fanout));
const ratio = (fanout.seconds as number) / (xargs.seconds as number);
results.overhead = { items, xargs, fanout, ratio: Number(ratio.toFixed(2)) };

if (!values.quick) {
  console.log('large: 100,000 no-op items through the Map path ...');
  results.large = await scenario('overhead.ts', ['--mode', 'fanout', '--items', '100000', '--vcpus', vcpus]);
  console.log(JSON.stringify(results.large));
}

console.log(`report: a ${items}-item, 2-round run report in headless Chromium, against an empty page ...`);
results.report = await scenario('report.ts', ['--items', String(items)]);
console.log(JSON.stringify(results.report));

const engine = results.engine as Record<string, number>;
const startup = results.startup as { nodeMs: number; ms: Record<string, number>; ratio: Record<string, number> };
console.log('\nsummary');
console.log(
  `  fanout --help (installed)               ${startup.ms.help} ms = ${startup.ratio.help}x node -e 0 (${startup.nodeMs} ms); fanout status RUNID ${startup.ratio.statusRun}x`,
);
console.log(
  `  fanout local exec, Pass-only definition  ${startup.ms.localExecPass} ms = ${startup.ratio.localExecPass}x node -e 0 installed, ${startup.ratio.localExecPassFromSources}x from the sources`,
);
console.log(`  Distributed Map, 10,000 Pass children   ${engine.distributedMapChildrenPerSecond} children/s`);
console.log(`  inline Map, 10,000 items                ${engine.inlineMapItemsPerSecond} items/s`);
console.log(`  Distributed Map, 100,000 items          peak RSS ${engine.distributedMap100kPeakRssMb} MB`);
console.log(
  `  Map path, ${items} no-op jobs            ${(fanout.seconds as number).toFixed(1)} s vs xargs ${(xargs.seconds as number).toFixed(1)} s = ${ratio.toFixed(2)}x`,
);
if (results.large) {
  const large = results.large as Record<string, number>;
  console.log(
    `  Map path, 100,000 no-op jobs            ${large.seconds?.toFixed(1)} s, peak RSS ${large.peakRssMb} MB`,
  );
}
const report = results.report as {
  baseline: { loadMs: number };
  large: { loadMs: number; firstPaintMs: number; kilobytes: number };
};
console.log(
  `  run report, ${items} items, 2 rounds       load ${report.large.loadMs} ms, first paint ${report.large.firstPaintMs} ms, ${report.large.kilobytes} KB (empty page: load ${report.baseline.loadMs} ms)`,
);
mkdirSync(join(root, 'bench', 'results'), { recursive: true });
writeFileSync(join(root, 'bench', 'results', 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);

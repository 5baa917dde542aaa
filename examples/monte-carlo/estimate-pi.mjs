#!/usr/bin/env node
// One Monte Carlo replica: estimates pi from `samples` random points drawn with a
// generator seeded by `seed`, so a replica gives the same answer every time it runs.
// `--fail-rate r` makes a deterministic fraction r of seeds fail, to show how the
// run's tolerated-failure threshold behaves. With `--out-dir DIR` the result is also
// written to DIR/<run id>/<seed>.json, where the run's aggregation job (reduce-pi.mjs)
// finds it: jobs on one machine share the directory (on AWS, mount a shared file system).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    samples: { type: 'string', default: '100000' },
    'fail-rate': { type: 'string', default: '0' },
    'out-dir': { type: 'string' },
  },
});
const seed = Number(values.seed);
const samples = Number(values.samples);
const failRate = Number(values['fail-rate']);
if (!Number.isInteger(seed) || !Number.isInteger(samples) || samples <= 0 || !(failRate >= 0 && failRate <= 1)) {
  console.error(`usage: estimate-pi --seed INT --samples INT>0 --fail-rate 0..1 (got ${JSON.stringify(values)})`);
  process.exit(2);
}

// mulberry32: a small, well-mixed 32-bit generator; enough for a demonstration.
function generator(state) {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The failure draw uses its own stream so the estimate does not depend on the fail rate.
if (generator(seed ^ 0x5bd1e995)() < failRate) {
  console.error(`replica ${seed}: simulated failure (fail rate ${failRate})`);
  process.exit(1);
}

const random = generator(seed);
let inside = 0;
for (let i = 0; i < samples; i++) {
  const x = random();
  const y = random();
  if (x * x + y * y <= 1) inside++;
}
const result = JSON.stringify({ seed, samples, inside, estimate: (4 * inside) / samples });
console.log(result);
if (values['out-dir']) {
  const dir = join(values['out-dir'], process.env.FANOUT_RUN_ID ?? 'no-run');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${seed}.json`), `${result}\n`);
}

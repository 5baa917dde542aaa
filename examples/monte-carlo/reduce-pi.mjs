#!/usr/bin/env node
// The Monte Carlo run's aggregation job: combines the replicas' results that
// estimate-pi.mjs wrote to DIR/<run id>/ into one estimate of pi, weighted by samples.
// It runs once, after every replica has finished, so missing replicas are the failed ones.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { 'in-dir': { type: 'string' } } });
const runId = process.env.FANOUT_RUN_ID;
if (!values['in-dir'] || !runId) {
  console.error('usage: FANOUT_RUN_ID=<run> reduce-pi --in-dir DIR');
  process.exit(2);
}
const dir = join(values['in-dir'], runId);
let files;
try {
  files = readdirSync(dir).filter((name) => /^\d+\.json$/.test(name));
} catch (error) {
  console.error(`no replica results in ${dir}: ${error.message}`);
  process.exit(1);
}
if (files.length === 0) {
  console.error(`no replica results in ${dir}`);
  process.exit(1);
}
let inside = 0;
let samples = 0;
for (const name of files) {
  const replica = JSON.parse(readFileSync(join(dir, name), 'utf8'));
  inside += replica.inside;
  samples += replica.samples;
}
const combined = { runId, replicas: files.length, samples, inside, estimate: (4 * inside) / samples };
writeFileSync(join(dir, 'combined.json'), `${JSON.stringify(combined)}\n`);
console.log(JSON.stringify(combined));

import { execFileSync } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ListJobsCommand } from '@aws-sdk/client-batch';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../local/cloud';
import { tempDir } from './helpers';

/**
 * No web page reaches the local cloud (docs/threat-model.md): a request with an Origin, or a
 * Host other than the endpoint's own loopback address, is refused by every service before it
 * does anything, and nothing answers with CORS headers.
 */

let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await startLocalCloud({ dir: tempDir('fanout-browser-') });
});
afterAll(async () => {
  await cloud?.stop();
});

const services = () => Object.entries(cloud.endpoints) as Array<[string, string]>;

/** One raw HTTP request, as a browser or a rebinding page would send it. */
function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: options.method ?? 'POST', headers: options.headers ?? {} }, (response) => {
      let body = '';
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    outgoing.on('error', reject);
    outgoing.end(options.body ?? '');
  });
}

describe('every local endpoint', () => {
  it('refuses a request that carries an Origin, with no CORS header', async () => {
    for (const [name, url] of services()) {
      const answer = await send(url, {
        headers: { origin: 'https://attacker.example', 'content-type': 'text/plain' },
        body: '{}',
      });
      expect([name, answer.status], answer.body).toEqual([name, 403]);
      expect(answer.body).toContain('requests from web pages are refused');
      expect(Object.keys(answer.headers).filter((header) => header.startsWith('access-control-'))).toEqual([]);
    }
  });

  it('answers no CORS preflight', async () => {
    for (const [name, url] of services()) {
      const answer = await send(url, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://attacker.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-amz-target',
        },
      });
      expect([name, answer.status]).toEqual([name, 403]);
      expect(answer.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('refuses a Host that is not its own loopback address (DNS rebinding)', async () => {
    for (const [name, url] of services()) {
      const { port } = new URL(url);
      const answer = await send(url, { headers: { host: `rebind.attacker.example:${port}` }, body: '{}' });
      expect([name, answer.status]).toEqual([name, 403]);
      expect(answer.body).toContain(`the Host header must name this endpoint, 127.0.0.1:${port}`);
    }
  });
});

describe('a web page on another origin, in Chromium', () => {
  let page: Server;
  let pageUrl: string;
  beforeAll(async () => {
    // The attacker's page: it knows the endpoints (a page could scan for the ports) and tries
    // what needs no preflight: a text/plain POST, fetch with mode no-cors, and a form post.
    const batch = cloud.endpoints.batch;
    const dynamodb = cloud.endpoints.dynamodb;
    const html = `<!doctype html><form id=f method=post action="${batch}/v1/submitjob" enctype="text/plain">
      <input name='{"jobName":"x","jobQueue":"fanout-high","jobDefinition":"fanout-job","containerOverrides":{"command":["touch","/tmp/pwned"]},"a' value='":1}'></form>
      <script>
        const job = JSON.stringify({ jobName: 'web', jobQueue: 'fanout-high', jobDefinition: 'fanout-job', containerOverrides: { command: ['true'] } });
        window.attempts = Promise.allSettled([
          fetch('${batch}/v1/submitjob', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: job }),
          fetch('${dynamodb}/', { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' },
            body: JSON.stringify({ TableName: 'fanout-ledger', Item: { runId: { S: 'web' }, itemId: { S: 'web' } } }) }),
          fetch('${dynamodb}/', { method: 'POST', headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.ListTables' }, body: '{}' })
            .then((response) => response.text()),
        ]).then((results) => results.map((result) => result.status + ':' + (result.value instanceof Response ? result.value.type : String(result.value ?? result.reason))));
      </script>`;
    page = createServer((_, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(html);
    });
    await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
    pageUrl = `http://127.0.0.1:${(page.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await new Promise((resolve) => page.close(resolve));
  });

  it('submits no job and writes no ledger row, whatever it tries', async () => {
    const executablePath = execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
    const browser = await chromium.launch({ executablePath, headless: true });
    try {
      const tab = await browser.newPage();
      await tab.goto(pageUrl);
      const outcomes = (await tab.evaluate('window.attempts')) as string[];
      // The no-cors fetches "succeed" opaquely (the browser hides the 403); the cors read fails.
      expect(outcomes).toHaveLength(3);
      expect(outcomes[2]).toMatch(/^rejected:/);
      await tab.evaluate('document.getElementById("f").submit()');
      await tab.waitForLoadState();
    } finally {
      await browser.close();
    }
    const { jobSummaryList } = await cloud.clients.batch.send(
      new ListJobsCommand({ jobQueue: 'fanout-high', filters: [{ name: 'JOB_NAME', values: ['*'] }] }),
    );
    expect(jobSummaryList).toEqual([]);
    const { Items } = await cloud.clients.dynamodb.send(new ScanCommand({ TableName: cloud.config.ledgerTable }));
    expect(Items).toEqual([]);
  });
});

/**
 * The drills' http and data probes reach a name that faultline resolves (a load balancer's DNS
 * name) at the address it resolves to now, with the name in the Host header, as a client that
 * asks DNS does; a name that resolves to no address fails the check without a request.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkHttp, readRecords, writeRecord } from '../../src/drills/probes.ts';

const NAME = 'web-123456789.us-east-1.elb.amazonaws.com';

describe('drill probes through a resolved name', () => {
  let server: Server;
  let port: number;
  const seen: { method?: string; host?: string; url?: string }[] = [];
  const records: string[] = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push({ method: req.method, host: req.headers.host, url: req.url });
      const m = /^\/createItem\?name=(.+)$/.exec(req.url ?? '');
      if (req.method === 'POST' && m) records.push(m[1]);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ jobs: records.map((name) => ({ name })) }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  });
  after(() => server.close());

  const resolveName = (host: string) => (host === NAME ? ['127.0.0.1'] : host === 'gone.elb.amazonaws.com' ? [] : undefined);

  it('sends http, write and read requests to the resolved address with the name as Host', async () => {
    const base = `http://${NAME}:${port}`;
    const http = await checkHttp({ kind: 'http', name: 'web', url: `${base}/`, status: 200, timeout: 2 } as never, resolveName);
    assert.deepEqual(http, { ok: true, detail: 'HTTP 200' });
    const data = { kind: 'data', name: 'jobs', write: `${base}/createItem?name=rec-{n}`, method: 'POST', read: `${base}/api/json`, list: 'jobs[].name', record: 'rec-{n}', timeout: 2 } as never;
    assert.equal((await writeRecord(data, 1, resolveName)).ok, true);
    assert.equal((await writeRecord(data, 2, resolveName)).ok, true);
    const read = await readRecords(data, resolveName);
    assert.deepEqual('numbers' in read ? [...read.numbers].sort() : read, [1, 2]);
    assert.deepEqual(seen.map((s) => s.method), ['GET', 'POST', 'POST', 'GET']);
    assert.ok(seen.every((s) => s.host === `${NAME}:${port}`), JSON.stringify(seen));
  });

  it('fails a check, a write and a read when the name resolves to no address', async () => {
    const before = seen.length;
    const url = `http://gone.elb.amazonaws.com:${port}/`;
    assert.deepEqual(await checkHttp({ kind: 'http', name: 'web', url, timeout: 2 } as never, resolveName), { ok: false, detail: 'gone.elb.amazonaws.com resolves to no address' });
    const data = { kind: 'data', name: 'jobs', write: `${url}createItem?name=rec-{n}`, method: 'POST', read: url, record: 'rec-{n}', timeout: 2 } as never;
    assert.equal((await writeRecord(data, 3, resolveName)).ok, false);
    assert.deepEqual(await readRecords(data, resolveName), { error: 'gone.elb.amazonaws.com resolves to no address' });
    assert.equal(seen.length, before, 'no request was sent');
  });
});

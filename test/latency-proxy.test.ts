// The latency proxy used by the bench for "PostgreSQL on another host": each direction is delayed, order is kept, and a
// real PostgreSQL works through it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer } from 'node:net';
import pg from 'pg';
import { startCluster } from './helpers/cluster.js';
import { startLatencyProxy } from './helpers/latency-proxy.js';

test('the proxy delays each direction by its delay and keeps every byte in order', async () => {
  const echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  const port = (echo.address() as { port: number }).port;
  const proxy = await startLatencyProxy({ host: '127.0.0.1', port }, 20);
  try {
    const sock = connect(proxy.port, '127.0.0.1');
    await new Promise<void>((r) => sock.once('connect', () => r()));
    const sent = Buffer.from(Array.from({ length: 2000 }, (_, i) => `chunk ${i};`).join(''));
    let got = Buffer.alloc(0);
    const t0 = Date.now();
    const firstByte = new Promise<number>((r) => sock.once('data', () => r(Date.now() - t0)));
    const all = new Promise<void>((r) => sock.on('data', (d) => ((got = Buffer.concat([got, d])), got.length >= sent.length && r())));
    for (let i = 0; i < sent.length; i += 997) sock.write(sent.subarray(i, i + 997));
    const rtt = await firstByte;
    await all;
    assert.ok(rtt >= 40, `a round trip takes both delays (${rtt} ms)`);
    assert.ok(rtt < 1000, `and not much more (${rtt} ms)`);
    assert.ok(got.equals(sent), 'every byte, in order');
    sock.destroy();
  } finally {
    await proxy.close();
    echo.close();
  }
});

test('PostgreSQL through the proxy: queries work, each round trip costs twice the delay', async () => {
  const c = await startCluster();
  const proxy = await startLatencyProxy({ host: '127.0.0.1', port: c.port }, 5);
  try {
    c.psql(`CREATE ROLE probe LOGIN PASSWORD 'probe-password-1'`);
    const client = new pg.Client({ host: '127.0.0.1', port: proxy.port, user: 'probe', password: 'probe-password-1', database: 'postgres' });
    await client.connect();
    const t0 = Date.now();
    for (let i = 0; i < 20; i++) assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
    const per = (Date.now() - t0) / 20;
    await client.end();
    assert.ok(per >= 10, `a query is a round trip through both delays (${per.toFixed(1)} ms)`);
    assert.equal(proxy.connections(), 1);
  } finally {
    await proxy.close();
    c.stop();
  }
});

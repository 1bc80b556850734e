/**
 * What an operator sees of a running server: Prometheus metrics, liveness,
 * readiness, the gRPC health service, and a stale lock left by a killed
 * process being taken over.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { credentials, makeGenericClientConstructor } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';
import { AuthServiceClient } from '../gen/aurex/auth/v1/auth.ts';
import { ListSymbolsRequest, OrderRequest, OrderSide, OrderType, StockServiceClient } from '../gen/aurex/stock/v1/stock.ts';
import { bearer, call } from './support/grpc-harness.ts';
import { startServer, type ServerProcess } from './support/server-process.ts';

async function get(port: number, p: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${p}`);
  return { status: res.status, body: await res.text() };
}

describe('70 server: operations', function () {
  this.timeout(120_000);
  let dataDir: string;
  let server: ServerProcess;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aurex-ops-'));
    server = await startServer({ AUREX_DATA_DIR: dataDir });
  });
  after(async () => {
    await server?.stop('SIGTERM');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves liveness and readiness once recovered', async () => {
    expect((await get(server.ports.metrics, '/healthz')).status).to.equal(200);
    const ready = await get(server.ports.metrics, '/readyz');
    expect(ready.status).to.equal(200);
    const body = JSON.parse(ready.body);
    expect(body.status).to.equal('ready');
    expect(body.lastSeq).to.be.greaterThan(0); // the demo accounts were created through the journal
    expect((await get(server.ports.metrics, '/nope')).status).to.equal(404);
  });

  it('reports SERVING on the gRPC health service', async () => {
    const Health = makeGenericClientConstructor(healthService, 'Health');
    const health = new Health(`127.0.0.1:${server.ports.grpc}`, credentials.createInsecure()) as unknown as {
      check(req: { service: string }, cb: (err: Error | null, res: { status: string | number }) => void): void;
      close(): void;
    };
    const res = await new Promise<{ status: string | number }>((resolve, reject) => health.check({ service: '' }, (e, r) => (e ? reject(e) : resolve(r))));
    expect(res.status === 'SERVING' || res.status === 1).to.equal(true);
    health.close();
  });

  it('exports the command, trade, reject, latency, session and lag metrics', async () => {
    const addr = `127.0.0.1:${server.ports.grpc}`;
    const authc = new AuthServiceClient(addr, credentials.createInsecure());
    const stock = new StockServiceClient(addr, credentials.createInsecure());
    // One refused login (counted by code), then a good one.
    await call(authc.login.bind(authc), { email: 'alice@demo.aurex', password: 'Wrong-Password-1!', totpCode: '' }).catch(() => undefined);
    const login = await call(authc.login.bind(authc), { email: 'alice@demo.aurex', password: 'Alice-Demo-2025!', totpCode: '' });
    const md = bearer(login.tradingToken);
    // One accepted order (at the reference price) and one refused by risk (far outside the price band).
    const syms = await call(stock.listSymbols.bind(stock), ListSymbolsRequest.fromPartial({}), md);
    const ref = syms.symbols.find((x) => x.symbol === 'MSFT')!.referencePriceTicks;
    await call(stock.submitOrder.bind(stock), OrderRequest.fromPartial({ orderId: 'ops-1', symbol: 'MSFT', side: OrderSide.BUY, type: OrderType.LIMIT, quantity: 1n, priceTicks: ref }), md);
    await call(stock.submitOrder.bind(stock), OrderRequest.fromPartial({ orderId: 'ops-2', symbol: 'MSFT', side: OrderSide.BUY, type: OrderType.LIMIT, quantity: 1n, priceTicks: 1n }), md).catch(() => undefined);
    stock.close();
    authc.close();
    const m = await get(server.ports.metrics, '/metrics');
    expect(m.status).to.equal(200);
    for (const name of [
      'aurex_commands_total',
      'aurex_rejects_total',
      'aurex_trades_total',
      'aurex_command_latency_seconds_bucket',
      'aurex_matching_latency_seconds_bucket',
      'aurex_tcp_sessions',
      'aurex_grpc_open_streams',
      'aurex_journal_lag_commands',
      'aurex_pg_writer_lag_commands',
      'aurex_last_seq',
      'aurex_ready 1',
      'aurex_nodejs_eventloop_lag_seconds',
    ]) {
      expect(m.body, name).to.include(name);
    }
    expect(m.body).to.match(/aurex_commands_total\{type="new",result="(ok|rejected)"\} [1-9]/);
    expect(m.body).to.match(/aurex_commands_total\{type="new",result="ok"\} 1\n/);
    expect(m.body).to.match(/aurex_rejects_total\{code="PRICE_OUTSIDE_BAND"\} 1\n/);
    expect(m.body).to.match(/aurex_auth_failures_total\{code="INVALID_CREDENTIALS"\} 1\n/);
    expect(m.body).to.match(/aurex_matching_latency_seconds_count [1-9]/);
    expect(m.body).to.match(/aurex_command_latency_seconds_bucket\{type="new",le="\+Inf"\} 2\n/);
  });

  it('takes over the lock of a server that was killed, and recovers its state', async () => {
    const before = JSON.parse((await get(server.ports.metrics, '/debug/state')).body) as { lastSeq: number; stateHash: string };
    expect(before.stateHash).to.match(/^[0-9a-f]{16,}$/);
    expect(await server.stop('SIGKILL')).to.equal('SIGKILL');
    expect(fs.existsSync(path.join(dataDir, 'LOCK'))).to.equal(true); // left behind by the killed process
    server = await startServer({ AUREX_DATA_DIR: dataDir });
    expect(server.lastSeq).to.equal(before.lastSeq);
    const after = JSON.parse((await get(server.ports.metrics, '/debug/state')).body);
    expect(after).to.deep.equal(before); // the recovered state is the same state, bit for bit
  });
});

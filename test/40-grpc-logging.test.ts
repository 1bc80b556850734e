/**
 * Logs with correlation ids: every gRPC stream gets one from open to close; an
 * abnormal end (here a revoked token) is logged at info with its stable reason,
 * and nothing is logged per message.
 */
import { expect } from 'chai';
import { MarketDataRequest } from '../gen/aurex/stock/v1/stock.ts';
import { startGrpcHarness, type GrpcHarness } from './support/grpc-harness.ts';
import { collect, within } from './support/grpc-expect.ts';

interface Line {
  level: string;
  obj: Record<string, unknown>;
  msg?: string;
}

describe('40 grpc: logs with correlation ids', function () {
  this.timeout(30_000);
  const lines: Line[] = [];
  const logger = {
    debug: (obj: unknown, msg?: string) => lines.push({ level: 'debug', obj: obj as Record<string, unknown>, msg }),
    info: (obj: unknown, msg?: string) => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    warn: (obj: unknown, msg?: string) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    error: (obj: unknown, msg?: string) => lines.push({ level: 'error', obj: obj as Record<string, unknown>, msg }),
  };
  let h: GrpcHarness;
  before(async () => {
    h = await startGrpcHarness({ logger }, { watchIntervalMs: 20 });
  });
  after(async () => {
    await h?.close();
  });

  it('logs a stream opened and closed under one cid, the revocation at info with its reason', async () => {
    const u = await h.user({});
    const c = h.stock();
    const s = collect(c.streamMarketData(MarketDataRequest.fromPartial({ symbols: ['AAPL'], depth: 0 }), u.md));
    await s.next(1);
    const opened = lines.find((l) => l.msg === 'grpc stream opened');
    expect(opened, 'stream opened line').to.exist;
    const cid = opened!.obj.cid as string;
    expect(cid).to.match(/^grpc-\d+$/);
    expect(opened!.obj.method).to.equal('/aurex.stock.v1.StockService/StreamMarketData');
    expect(opened!.level).to.equal('debug');

    await h.auth.revokeSessions(u.userId);
    await within(s.ended, 5000, 'stream closed');
    await new Promise((r) => setTimeout(r, 20));
    const closed = lines.filter((l) => l.msg === 'grpc stream closed' && l.obj.cid === cid);
    expect(closed).to.have.length(1);
    expect(closed[0]!.level).to.equal('info');
    expect(closed[0]!.obj.reason).to.equal('TOKEN_REVOKED');
    // Nothing per message: only the lifecycle lines carry this cid.
    expect(lines.filter((l) => l.obj.cid === cid)).to.have.length(2);
  });
});

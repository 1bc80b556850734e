/**
 * The OrderEntry fast encoder (gateway-grpc/frame-builder.ts): its frames must
 * be byte-for-byte what ts-proto + grpc-js would send, in order, batched.
 */
import { expect } from 'chai';
import { codeName, type Code } from '../engine/codes.ts';
import { FrameBuilder, type AckFields } from '../gateway-grpc/frame-builder.ts';
import { executionReport } from '../gateway-grpc/convert.ts';
import type { ExecKind, ExecReport, OrderKind, OrderStatus } from '../engine/types.ts';
import { rng } from './support/durability-workload.ts';
import { ExecType, ExecutionReport, OrderEntryResponse } from '../gen/aurex/stock/v1/stock.ts';

function reference(a: AckFields): Buffer {
  const body = OrderEntryResponse.encode({
    event: {
      $case: 'ack',
      value: {
        requestId: a.requestId,
        clientOrderId: a.clientOrderId,
        exchangeOrderId: BigInt(a.exchangeOrderId),
        status: a.status,
        code: a.code,
        reason: codeName(a.code),
        grpcStatus: a.grpcStatus,
        filledQuantity: BigInt(a.filledQuantity),
        remainingQuantity: BigInt(a.remainingQuantity),
        seq: BigInt(a.seq),
      },
    },
  }).finish();
  const out = Buffer.alloc(5 + body.length);
  out.writeUInt32BE(body.length, 1);
  out.set(body, 5);
  return out;
}

function split(batch: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let p = 0;
  while (p < batch.length) {
    expect(batch[p]).to.equal(0);
    const len = batch.readUInt32BE(p + 1);
    out.push(batch.subarray(p, p + 5 + len));
    p += 5 + len;
  }
  expect(p).to.equal(batch.length);
  return out;
}

const base: AckFields = {
  requestId: 7n,
  clientOrderId: 'c-1',
  exchangeOrderId: 42,
  status: 2,
  code: 0,
  grpcStatus: 0,
  filledQuantity: 5,
  remainingQuantity: 95,
  seq: 1234,
};

describe('40 grpc frame builder (OrderEntry fast encoder)', () => {
  it('encodes acks exactly like ts-proto, including edge values', () => {
    const cases: AckFields[] = [
      base,
      { ...base, requestId: 0n, clientOrderId: '', exchangeOrderId: 0, status: 0, filledQuantity: 0, remainingQuantity: 0, seq: 0 },
      { ...base, code: 110, grpcStatus: 3 },
      { ...base, requestId: 2n ** 64n - 1n, exchangeOrderId: Number.MAX_SAFE_INTEGER, seq: 2 ** 31, filledQuantity: 2 ** 32 + 5 },
      { ...base, requestId: 2n ** 53n, remainingQuantity: -1, status: -3 },
      { ...base, clientOrderId: 'x'.repeat(64) + 'é€😀', code: 999 },
      { ...base, clientOrderId: 'y'.repeat(200) },
      { ...base, clientOrderId: 'z'.repeat(127), requestId: 127n, seq: 128 },
    ];
    const batches: [Buffer, number][] = [];
    const fb = new FrameBuilder((b, n) => batches.push([Buffer.from(b), n]));
    for (const c of cases) fb.ack(c);
    fb.flush();
    expect(batches).to.have.length(1);
    expect(batches[0]![1]).to.equal(cases.length);
    const frames = split(batches[0]![0]);
    expect(frames).to.have.length(cases.length);
    frames.forEach((f, i) => expect(f.equals(reference(cases[i]!)), `case ${i}`).to.equal(true));
  });

  it('encodes execution reports exactly like convert.ts + ts-proto, for every kind, status and edge value', () => {
    const r = rng(4040);
    const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
    const KINDS: ExecKind[] = ['ACCEPTED', 'REJECTED', 'FILL', 'CANCELLED', 'REPLACED', 'TRIGGERED', 'EXPIRED'];
    const ORDER_KINDS: OrderKind[] = ['LIMIT', 'MARKET', 'IOC', 'FOK', 'STOP', 'STOP_LIMIT'];
    const STATUSES: OrderStatus[] = ['NEW', 'OPEN', 'PARTIALLY_FILLED', 'FILLED', 'CANCELLED', 'REJECTED', 'EXPIRED'];
    const big = (): number => pick([0, 1, 127, 128, 16_383, 16_384, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 7, Number.MAX_SAFE_INTEGER, Math.floor(r() * 1e9)]);
    const reports: { rep: ExecReport; tick: number }[] = [];
    for (let i = 0; i < 3000; i++) {
      const kind = pick(KINDS);
      const fill = kind === 'FILL';
      const rep: ExecReport = {
        accountSeq: big(),
        accountId: 1 + (i % 9),
        seq: big(),
        ts: pick([0, 1_700_000_000_000 + i, Number.MAX_SAFE_INTEGER]),
        kind,
        orderId: big(),
        clientOrderId: pick(['', 'c-1', 'x'.repeat(64), 'é€😀-id', 'y'.repeat(150)]),
        symbol: pick(['', 'AAPL', 'BRK.B', 'S'.repeat(32)]),
        side: pick(['BUY', 'SELL'] as const),
        orderKind: pick(ORDER_KINDS),
        price: pick([0, 1, 22_850, 99_999_999, 2 ** 31 - 1]),
        qty: big(),
        filledQty: big(),
        remainingQty: big(),
        status: pick(STATUSES),
        code: pick([0, 0, 110, 205, 300, 311, 408, 999]) as Code,
        tradeId: fill ? big() : undefined,
        lastPrice: fill ? pick([0, 1, 22_851, 2 ** 31 - 1]) : undefined,
        lastQty: fill ? big() : undefined,
        liquidity: fill ? pick(['MAKER', 'TAKER'] as const) : undefined,
        fee: fill ? pick([0, 1, 12_345, Number.MAX_SAFE_INTEGER]) : undefined,
      };
      reports.push({ rep, tick: pick([1, 5, 25, 100]) });
    }
    const batches: Buffer[] = [];
    const fb = new FrameBuilder((b) => batches.push(Buffer.from(b)), 64);
    for (const { rep, tick } of reports) fb.execution(rep, tick);
    fb.flush();
    const frames = batches.flatMap((b) => split(b));
    expect(frames).to.have.length(reports.length);
    frames.forEach((f, i) => {
      const { rep, tick } = reports[i]!;
      const body = OrderEntryResponse.encode({ event: { $case: 'execution', value: executionReport(rep, tick) } }).finish();
      const ref = Buffer.alloc(5 + body.length);
      ref.writeUInt32BE(body.length, 1);
      ref.set(body, 5);
      if (!f.equals(ref)) expect.fail(`report ${i} (${JSON.stringify(rep)}, tick ${tick}) differs from ts-proto`);
    });
  });

  it('interleaves pre-encoded messages in order and closes batches at maxBatch', () => {
    const batches: [Buffer, number][] = [];
    const fb = new FrameBuilder((b, n) => batches.push([b, n]), 4);
    const exec = OrderEntryResponse.encode({ event: { $case: 'execution', value: ExecutionReport.fromPartial({ execType: ExecType.FILL, accountSeq: 9n }) } }).finish();
    for (let i = 0; i < 10; i++) {
      if (i === 3) fb.message(exec);
      fb.ack({ ...base, requestId: BigInt(i + 1) });
    }
    fb.flush();
    expect(batches.map((b) => b[1])).to.deep.equal([4, 4, 3]);
    const decoded = batches.flatMap(([b]) => split(b)).map((f) => OrderEntryResponse.decode(f.subarray(5)));
    expect(decoded).to.have.length(11);
    expect(decoded[3]!.event?.$case).to.equal('execution');
    const ids = decoded.filter((d) => d.event?.$case === 'ack').map((d) => (d.event as { value: { requestId: bigint } }).value.requestId);
    expect(ids).to.deep.equal(Array.from({ length: 10 }, (_, i) => BigInt(i + 1)));
  });

  it('starts a new slab when one fills up, leaving earlier batches intact', () => {
    const batches: Buffer[] = [];
    const fb = new FrameBuilder((b) => batches.push(b), 1_000_000);
    const n = 3000; // ~100 bytes each: crosses several 64 KiB slabs
    for (let i = 0; i < n; i++) fb.ack({ ...base, requestId: BigInt(i + 1), clientOrderId: `order-${i}-${'p'.repeat(40)}` });
    fb.flush();
    expect(batches.length).to.be.greaterThan(1);
    const frames = batches.flatMap(split);
    expect(frames).to.have.length(n);
    frames.forEach((f, i) => {
      const ref = reference({ ...base, requestId: BigInt(i + 1), clientOrderId: `order-${i}-${'p'.repeat(40)}` });
      expect(f.equals(ref), `frame ${i}`).to.equal(true);
    });
  });
});

/**
 * The OrderEntry fast encoder (gateway-grpc/frame-builder.ts): its frames must
 * be byte-for-byte what ts-proto + grpc-js would send, in order, batched.
 */
import { expect } from 'chai';
import { codeName } from '../engine/codes.ts';
import { FrameBuilder, type AckFields } from '../gateway-grpc/frame-builder.ts';
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

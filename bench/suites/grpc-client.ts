/**
 * A load-generating client process of `npm run bench -- grpc` (forked by
 * bench/suites/grpc.ts). Requests are encoded before the clock starts and
 * responses are counted as bytes (pass-through serializers), so the client's
 * own protobuf work does not compete with the server for the two cores; the raw
 * echo baseline is driven the same way with payloads of the same size.
 *
 * Bidi streams keep an application-level window of outstanding messages
 * (refilled per response, not on 'drain': FIELD-NOTES measured the latter 10x slower).
 */
import { Client, credentials, Metadata, type ClientDuplexStream } from '@grpc/grpc-js';
import {
  MarketDataRequest,
  OrderEntryRequest,
  OrderRequest,
  OrderSide,
  OrderType,
} from '../../gen/aurex/stock/v1/stock.ts';

const pass = (b: Buffer): Buffer => b;
const enc = (u8: Uint8Array) => Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);

interface Job {
  mode: 'unary-raw' | 'unary-submit' | 'unary-both' | 'bidi-raw' | 'order-entry' | 'fanout';
  address: string;
  tokens: string[];
  /** unary: calls; bidi: messages per stream. */
  count: number;
  streams: number;
  window: number;
  channels: number;
  tag: string;
}

function md(token: string): Metadata {
  const m = new Metadata();
  m.set('authorization', `Bearer ${token}`);
  return m;
}

function newClient(address: string, i: number): Client {
  // a separate connection per client object
  return new Client(address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1, 'grpc.aurex_bench_channel': i });
}

function orderBytes(tag: string, i: number, side: OrderSide): Buffer {
  return enc(
    OrderRequest.encode(
      OrderRequest.fromPartial({ orderId: `${tag}-${i}`, symbol: 'MSFT', side, type: OrderType.LIMIT, quantity: 1n, priceTicks: side === OrderSide.BUY ? 41000n - BigInt(i % 50) : 42000n + BigInt(i % 50) }),
    ).finish(),
  );
}

async function unary(job: Job, path: string, payloads: Buffer[]): Promise<unknown> {
  const c = newClient(job.address, 0);
  const meta = md(job.tokens[0]!);
  const one = (b: Buffer) =>
    new Promise<void>((resolve, reject) => c.makeUnaryRequest(path, pass, pass, b, meta, {}, (e) => (e ? reject(e) : resolve())));
  const warm = Math.min(500, payloads.length >> 2);
  for (let i = 0; i < warm; i++) await one(payloads[i]!);
  const n = payloads.length - warm;
  const lat = new Float64Array(n);
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const s = process.hrtime.bigint();
    await one(payloads[warm + i]!);
    lat[i] = Number(process.hrtime.bigint() - s) / 1000;
  }
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  c.close();
  return { lat: Array.from(lat), secs, n };
}

/**
 * The raw echo and SubmitOrder interleaved in blocks of BLOCK calls on one
 * connection, so both see the same machine state: one outstanding call's
 * latency is dominated by wake-ups, and back-to-back runs of 20k calls each
 * drifted by 2x between runs (which mode the CPUs were in), not between cases.
 */
async function unaryBoth(job: Job, rawPayloads: Buffer[], submitPayloads: Buffer[]): Promise<unknown> {
  const BLOCK = 100;
  const c = newClient(job.address, 0);
  const meta = md(job.tokens[0]!);
  const one = (path: string, b: Buffer) =>
    new Promise<void>((resolve, reject) => c.makeUnaryRequest(path, pass, pass, b, meta, {}, (e) => (e ? reject(e) : resolve())));
  const paths = ['/aurex.bench.RawEcho/Unary', '/aurex.stock.v1.StockService/SubmitOrder'];
  const payloads = [rawPayloads, submitPayloads];
  const warm = Math.min(500, rawPayloads.length >> 2);
  for (let i = 0; i < warm; i++) {
    await one(paths[0]!, rawPayloads[i]!);
    await one(paths[1]!, submitPayloads[i]!);
  }
  const n = Math.min(rawPayloads.length, submitPayloads.length) - warm;
  const lat = [new Float64Array(n), new Float64Array(n)];
  const secs = [0, 0];
  for (let from = 0; from < n; from += BLOCK) {
    const to = Math.min(n, from + BLOCK);
    for (let k = 0; k < 2; k++) {
      const t0 = process.hrtime.bigint();
      for (let i = from; i < to; i++) {
        const s = process.hrtime.bigint();
        await one(paths[k]!, payloads[k]![warm + i]!);
        lat[k]![i] = Number(process.hrtime.bigint() - s) / 1000;
      }
      secs[k]! += Number(process.hrtime.bigint() - t0) / 1e9;
    }
  }
  c.close();
  return { raw: { lat: Array.from(lat[0]!), secs: secs[0], n }, submit: { lat: Array.from(lat[1]!), secs: secs[1], n } };
}

async function bidi(job: Job, path: string, payloadsPerStream: Buffer[][]): Promise<unknown> {
  const clients = Array.from({ length: Math.max(1, job.channels) }, (_, i) => newClient(job.address, i));
  let received = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    payloadsPerStream.map(
      (payloads, k) =>
        new Promise<void>((resolve, reject) => {
          const c = clients[k % clients.length]!;
          const s: ClientDuplexStream<Buffer, Buffer> = c.makeBidiStreamRequest(path, pass, pass, md(job.tokens[k % job.tokens.length]!));
          let sent = 0;
          let got = 0;
          const total = payloads.length;
          s.on('data', () => {
            got++;
            received++;
            if (sent < total) s.write(payloads[sent++]!);
            if (got === total) s.end();
          });
          s.on('error', reject);
          s.on('end', () => resolve());
          // fill the application window; write()'s false only means grpc-js buffers 16+ messages
          while (sent < Math.min(job.window, total)) s.write(payloads[sent++]!);
        }),
    ),
  );
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  clients.forEach((c) => c.close());
  return { received, secs };
}

// ------------------------------------------------------------------ fan-out
let fanout: { clients: Client[]; counted: number; counting: boolean; calls: { cancel(): void }[] } | undefined;

async function openFanout(job: Job): Promise<unknown> {
  const clients = Array.from({ length: job.channels }, (_, i) => newClient(job.address, i));
  const req = enc(MarketDataRequest.encode({ symbols: ['AAPL'], depth: 10 }).finish());
  const st = { clients, counted: 0, counting: false, calls: [] as { cancel(): void }[] };
  fanout = st;
  let opened = 0;
  await new Promise<void>((resolve, reject) => {
    for (let k = 0; k < job.streams; k++) {
      const c = clients[k % clients.length]!;
      const call = c.makeServerStreamRequest('/aurex.stock.v1.StockService/StreamMarketData', pass, pass, req, md(job.tokens[k % job.tokens.length]!));
      st.calls.push(call);
      let first = true;
      call.on('data', () => {
        if (first) {
          first = false;
          if (++opened === job.streams) resolve();
        } else if (st.counting) st.counted++;
      });
      call.on('error', (e: { code: number }) => {
        if (e.code !== 1) reject(e); // 1 = CANCELLED by us at the end
      });
    }
  });
  return { opened };
}

process.on('message', async (m: { job?: Job; cmd?: string }) => {
  try {
    if (m.cmd === 'count-start' && fanout) {
      fanout.counted = 0;
      fanout.counting = true;
      process.send!({ ok: true });
      return;
    }
    if (m.cmd === 'count-stop' && fanout) {
      fanout.counting = false;
      process.send!({ counted: fanout.counted });
      return;
    }
    if (m.cmd === 'close-fanout' && fanout) {
      fanout.calls.forEach((c) => c.cancel());
      fanout.clients.forEach((c) => c.close());
      fanout = undefined;
      process.send!({ ok: true });
      return;
    }
    const job = m.job!;
    let out: unknown;
    if (job.mode === 'unary-both') {
      const mk = (t: string) => Array.from({ length: job.count + 500 }, (_, i) => orderBytes(`${job.tag}-${t}`, i, i % 2 ? OrderSide.SELL : OrderSide.BUY));
      out = await unaryBoth(job, mk('r'), mk('s'));
    } else if (job.mode === 'unary-raw' || job.mode === 'unary-submit') {
      const payloads = Array.from({ length: job.count + 500 }, (_, i) => orderBytes(`${job.tag}-u`, i, i % 2 ? OrderSide.SELL : OrderSide.BUY));
      out = await unary(job, job.mode === 'unary-raw' ? '/aurex.bench.RawEcho/Unary' : '/aurex.stock.v1.StockService/SubmitOrder', payloads);
    } else if (job.mode === 'bidi-raw' || job.mode === 'order-entry') {
      const per: Buffer[][] = [];
      for (let k = 0; k < job.streams; k++) {
        const arr: Buffer[] = new Array(job.count);
        for (let i = 0; i < job.count; i++) {
          const side = i % 2 ? OrderSide.SELL : OrderSide.BUY;
          const o = OrderRequest.fromPartial({
            orderId: `${job.tag}-${k}-${i}`,
            symbol: 'AAPL',
            side,
            type: OrderType.LIMIT,
            quantity: 1n,
            // buys and sells at one price: streams of different accounts trade with each other
            priceTicks: 22850n,
          });
          arr[i] = enc(OrderEntryRequest.encode({ requestId: BigInt(i), command: { $case: 'submit', value: o } }).finish());
        }
        per.push(arr);
      }
      out = await bidi(job, job.mode === 'bidi-raw' ? '/aurex.bench.RawEcho/Bidi' : '/aurex.stock.v1.StockService/OrderEntry', per);
    } else {
      out = await openFanout(job);
    }
    process.send!(out);
  } catch (e) {
    process.send!({ error: String((e as Error)?.message ?? e) });
  }
});
process.send!({ ready: true });

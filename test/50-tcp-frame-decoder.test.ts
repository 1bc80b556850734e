import { expect } from 'chai';
import { Code } from '../engine/codes.ts';
import { decodeMessage } from '../gateway-tcp/codec.ts';
import { FrameDecoder } from '../gateway-tcp/frame-decoder.ts';
import { MAX_LENGTH } from '../gateway-tcp/protocol.ts';
import { Rng } from './support/tcp-random.ts';

interface Seen {
  frames: { type: number; payload: Buffer }[];
  errors: Code[];
}

function collector(opts?: { maxLength?: number; decode?: boolean }): { d: FrameDecoder; seen: Seen } {
  const seen: Seen = { frames: [], errors: [] };
  const d = new FrameDecoder(
    (type, buf, off, len) => {
      // Copy: the view is only valid during the call.
      seen.frames.push({ type, payload: Buffer.from(buf.subarray(off, off + len)) });
      // Whatever the bytes are, the message decoder must answer with a code, not throw.
      if (opts?.decode) decodeMessage(type, buf, off, len);
    },
    (code) => seen.errors.push(code),
    { maxLength: opts?.maxLength },
  );
  return { d, seen };
}

function frame(type: number, payload: Buffer): Buffer {
  const f = Buffer.alloc(5 + payload.length);
  f.writeUInt32LE(payload.length + 1, 0);
  f[4] = type;
  payload.copy(f, 5);
  return f;
}

function randomFrames(rng: Rng, n: number): { type: number; payload: Buffer }[] {
  const out: { type: number; payload: Buffer }[] = [];
  for (let i = 0; i < n; i++) {
    const size = rng.bool(0.02) ? rng.range(4000, 70000 - 5) : rng.bool(0.1) ? 0 : rng.range(1, 200);
    out.push({ type: rng.int(256), payload: rng.bytes(Math.min(size, MAX_LENGTH - 1)) });
  }
  return out;
}

/** Splits a buffer at random points (some chunks of 1 byte, some empty). */
function randomSplit(rng: Rng, b: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  let i = 0;
  while (i < b.length) {
    const n = rng.bool(0.3) ? rng.range(0, 3) : rng.range(1, 3000);
    chunks.push(b.subarray(i, Math.min(b.length, i + n)));
    i += n;
  }
  return chunks;
}

describe('50 tcp frame decoder', () => {
  it('decodes frames packed in one chunk without copying their payloads', () => {
    const stream = Buffer.concat([frame(1, Buffer.from('abc')), frame(7, Buffer.alloc(0)), frame(2, Buffer.from('z'))]);
    const bufs: Buffer[] = [];
    const types: number[] = [];
    const d = new FrameDecoder(
      (t, b) => {
        types.push(t);
        bufs.push(b);
      },
      () => expect.fail('no error expected'),
    );
    d.push(stream);
    expect(types).to.deep.equal([1, 7, 2]);
    for (const b of bufs) expect(b).to.equal(stream); // same object: a view, not a copy
    expect(d.bufferedBytes).to.equal(0);
  });

  it('property: any split of a valid stream yields the same frames (200 streams)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rng = new Rng(seed);
      const frames = randomFrames(rng, rng.range(1, 40));
      const stream = Buffer.concat(frames.map((f) => frame(f.type, f.payload)));
      const { d, seen } = collector();
      for (const c of randomSplit(rng, stream)) d.push(c);
      expect(seen.errors, `seed ${seed}`).to.deep.equal([]);
      expect(seen.frames.length, `seed ${seed}`).to.equal(frames.length);
      for (let i = 0; i < frames.length; i++) {
        expect(seen.frames[i]!.type).to.equal(frames[i]!.type);
        expect(seen.frames[i]!.payload.equals(frames[i]!.payload), `seed ${seed} frame ${i}`).to.equal(true);
      }
      expect(d.bufferedBytes).to.equal(0);
    }
  });

  it('property: a truncated stream yields exactly the complete frames and holds the rest (200 streams)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rng = new Rng(seed * 7919);
      const frames = randomFrames(rng, rng.range(1, 20));
      const encoded = frames.map((f) => frame(f.type, f.payload));
      const stream = Buffer.concat(encoded);
      const cut = rng.int(stream.length + 1);
      let complete = 0;
      let end = 0;
      while (complete < encoded.length && end + encoded[complete]!.length <= cut) end += encoded[complete++]!.length;
      const { d, seen } = collector();
      for (const c of randomSplit(rng, stream.subarray(0, cut))) d.push(c);
      expect(seen.errors).to.deep.equal([]);
      expect(seen.frames.length, `seed ${seed}`).to.equal(complete);
      const partial = cut - end;
      // A partial frame is held: its length bytes while < 4, then the body bytes after the length.
      expect(d.bufferedBytes, `seed ${seed}`).to.equal(partial < 4 ? partial : partial - 4);
    }
  });

  it('property: random byte streams in random chunks never throw and end in at most one error (500 streams)', () => {
    for (let seed = 1; seed <= 500; seed++) {
      const rng = new Rng(seed * 104729);
      // Mix garbage with valid frames so some streams get past the first frame.
      const parts: Buffer[] = [];
      for (let i = rng.range(1, 6); i > 0; i--) {
        parts.push(rng.bool(0.5) ? frame(rng.int(256), rng.bytes(rng.range(0, 64))) : rng.bytes(rng.range(1, 300)));
      }
      const { d, seen } = collector({ decode: true, maxLength: rng.bool(0.5) ? 512 : undefined });
      expect(() => {
        for (const c of randomSplit(rng, Buffer.concat(parts))) d.push(c);
      }).not.to.throw();
      expect(seen.errors.length).to.be.at.most(1);
      if (seen.errors.length) {
        expect([Code.BAD_FRAME_LENGTH, Code.MESSAGE_TOO_LARGE]).to.include(seen.errors[0]);
        expect(d.failed).to.equal(true);
        const n = seen.frames.length;
        d.push(frame(1, Buffer.alloc(3)));
        expect(seen.frames.length, 'nothing after a framing error').to.equal(n);
      }
    }
  });

  it('rejects a bad length as soon as its four bytes are in, before buffering', () => {
    for (const [len, code] of [
      [0, Code.BAD_FRAME_LENGTH],
      [MAX_LENGTH + 1, Code.MESSAGE_TOO_LARGE],
      [0xffffffff, Code.MESSAGE_TOO_LARGE],
    ] as const) {
      const { d, seen } = collector();
      const h = Buffer.alloc(4);
      h.writeUInt32LE(len, 0);
      d.push(h.subarray(0, 2));
      expect(seen.errors).to.deep.equal([]);
      d.push(h.subarray(2));
      expect(seen.errors).to.deep.equal([code]);
      expect(d.bufferedBytes).to.equal(0);
      d.push(Buffer.alloc(1000));
      expect(seen.frames).to.deep.equal([]);
    }
    const { d, seen } = collector({ maxLength: 100 });
    d.push(frame(1, Buffer.alloc(100)));
    expect(seen.errors).to.deep.equal([Code.MESSAGE_TOO_LARGE]);
    const ok = collector({ maxLength: 100 });
    ok.d.push(frame(1, Buffer.alloc(99)));
    expect(ok.seen.frames.length).to.equal(1);
  });

  it('pause() inside a frame callback parks the rest of the input until resume(), in order', () => {
    const frames = [1, 2, 3, 4, 5].map((t) => frame(t, Buffer.from([t, t])));
    const seen: number[] = [];
    const d: FrameDecoder = new FrameDecoder(
      (t) => {
        seen.push(t);
        if (t === 2 || t === 4) d.pause();
      },
      () => expect.fail('no error expected'),
    );
    const all = Buffer.concat(frames);
    d.push(all.subarray(0, 20));
    d.push(all.subarray(20));
    expect(seen).to.deep.equal([1, 2]);
    d.resume();
    expect(seen).to.deep.equal([1, 2, 3, 4]);
    d.resume();
    expect(seen).to.deep.equal([1, 2, 3, 4, 5]);
    d.resume(); // not paused: no effect
    d.push(frame(6, Buffer.alloc(0)));
    expect(seen).to.deep.equal([1, 2, 3, 4, 5, 6]);
  });

  it('accepts the largest legal frame split into single bytes', () => {
    const payload = new Rng(5).bytes(MAX_LENGTH - 1);
    const f = frame(3, payload);
    const { d, seen } = collector();
    // 64 KiB of one-byte pushes: the slowest possible delivery.
    for (let i = 0; i < f.length; i++) d.push(f.subarray(i, i + 1));
    expect(seen.frames.length).to.equal(1);
    expect(seen.frames[0]!.payload.equals(payload)).to.equal(true);
  });
});

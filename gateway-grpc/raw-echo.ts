/**
 * The benchmark baseline: a raw grpc-js echo service with no Aurex code in the
 * path (bytes in, the same bytes out, pass-through serializers). `npm run bench
 * -- grpc` measures Aurex's unary and bidi RPCs beside it in the same run.
 */
import type { Server, ServiceDefinition, ServerDuplexStream, ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';

const pass = (b: Buffer): Buffer => b;

export const RawEchoService: ServiceDefinition = {
  unary: {
    path: '/aurex.bench.RawEcho/Unary',
    requestStream: false,
    responseStream: false,
    requestSerialize: pass,
    requestDeserialize: pass,
    responseSerialize: pass,
    responseDeserialize: pass,
  },
  bidi: {
    path: '/aurex.bench.RawEcho/Bidi',
    requestStream: true,
    responseStream: true,
    requestSerialize: pass,
    requestDeserialize: pass,
    responseSerialize: pass,
    responseDeserialize: pass,
  },
};

export const rawEchoImpl = {
  unary(call: ServerUnaryCall<Buffer, Buffer>, cb: sendUnaryData<Buffer>): void {
    cb(null, call.request);
  },
  bidi(call: ServerDuplexStream<Buffer, Buffer>): void {
    call.on('data', (b: Buffer) => call.write(b));
    call.on('end', () => call.end());
  },
};

/** Add the echo service to a server (the bench server hosts it beside Aurex, same options). */
export function addRawEcho(server: Server): void {
  server.addService(RawEchoService, rawEchoImpl);
}

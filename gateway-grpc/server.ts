/**
 * GrpcGateway: the gRPC edge of Aurex (StockService, AuthService,
 * AdminService, health checking, server reflection) on @grpc/grpc-js.
 *
 *   const gw = new GrpcGateway({ exchange, auth, host: '127.0.0.1', port: 50051 });
 *   const port = await gw.listen();   // serving; health SERVING
 *   gw.setReady(false);               // health NOT_SERVING (e.g. during recovery)
 *   await gw.close();                 // graceful: refuse new calls, answer what is in
 *                                     // flight, end streams with UNAVAILABLE
 *
 * Plaintext on 127.0.0.1 by default; TLS when `tls` carries a certificate.
 * See docs/grpc-api.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Server, ServerCredentials, type ServerDuplexStream, type UntypedServiceImplementation } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';
import type { AuthManager } from '../engine/auth/index.ts';
import { Code, codeName } from '../engine/codes.ts';
import type { ExchangeApi } from '../engine/core-api.ts';
import type { OrderEntryRequest, OrderEntryResponse } from '../gen/aurex/stock/v1/stock.ts';
import { adminHandlers } from './admin-service.ts';
import { authHandlers } from './auth-service.ts';
import { serviceError, setInternalErrorReporter } from './errors.ts';
import { MarketDataHub } from './market-data-hub.ts';
import { orderEntryHandler } from './order-entry.ts';
import { adminServiceDef, authServiceDef, SERVICE_NAMES, stockServiceDef, type Malformed } from './service-defs.ts';
import { STOCK_METHODS, stockHandlers, type StreamLimits } from './stock-service.ts';
import type { StreamWriter } from './stream-writer.ts';

export const PROTO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'protos');
export const PROTO_FILES = ['aurex/stock/v1/stock.proto', 'aurex/auth/v1/auth.proto', 'aurex/admin/v1/admin.proto'];

export interface GrpcTlsOptions {
  /** PEM certificate chain (contents or a file path). */
  cert: string | Buffer;
  /** PEM private key (contents or a file path). */
  key: string | Buffer;
  /** PEM CA bundle to verify client certificates (mutual TLS), optional. */
  ca?: string | Buffer;
  /** Require client certificates (needs `ca`). */
  requireClientCert?: boolean;
}

export interface GatewayLogger {
  debug?(obj: unknown, msg?: string): void;
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

export interface GrpcGatewayOptions {
  exchange: ExchangeApi;
  auth: AuthManager;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port; listen() returns it). */
  port?: number;
  tls?: GrpcTlsOptions;
  logger?: GatewayLogger;
  /** Largest request accepted, bytes (default 1 MiB; larger -> RESOURCE_EXHAUSTED). */
  maxReceiveMessageBytes?: number;
  /** Largest response sent, bytes (default 16 MiB). */
  maxSendMessageBytes?: number;
  /** HTTP/2 keepalive: ping period (default 30 s), ping timeout (default 10 s), minimum client ping interval (default 10 s). */
  keepalive?: { timeMs?: number; timeoutMs?: number; minClientPingIntervalMs?: number };
  /** Stream limits (see StreamLimits) and OrderEntry flow control. */
  limits?: Partial<StreamLimits> & { orderEntryInflight?: number; orderEntryWindow?: number };
  /** How long close() waits for calls to finish before forcing (default 5 s). */
  shutdownGraceMs?: number;
  /** Hook to register extra services on the same server (the bench's raw echo baseline). */
  extraServices?: (server: Server) => void;
}

const DEFAULT_LIMITS: StreamLimits = {
  maxQueued: 8192,
  stuckMs: 10_000,
  marketDataWindow: 64,
  window: 256,
  maxSymbolsPerStream: 100,
};

function pem(v: string | Buffer): Buffer {
  if (Buffer.isBuffer(v)) return v;
  return v.includes('-----BEGIN') ? Buffer.from(v) : fs.readFileSync(v);
}

export class GrpcGateway {
  readonly server: Server;
  readonly hub: MarketDataHub;
  private readonly opts: GrpcGatewayOptions;
  private readonly health: HealthImplementation;
  private readonly streams = new Map<StreamWriter<unknown>, () => void>();
  private boundPort = 0;
  private closing = false;
  private closed: Promise<void> | undefined;
  private ready = false;

  constructor(opts: GrpcGatewayOptions) {
    this.opts = opts;
    const ka = opts.keepalive ?? {};
    this.server = new Server({
      'grpc.max_receive_message_length': opts.maxReceiveMessageBytes ?? 1024 * 1024,
      'grpc.max_send_message_length': opts.maxSendMessageBytes ?? 16 * 1024 * 1024,
      'grpc.keepalive_time_ms': ka.timeMs ?? 30_000,
      'grpc.keepalive_timeout_ms': ka.timeoutMs ?? 10_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.http2.min_ping_interval_without_data_ms': ka.minClientPingIntervalMs ?? 10_000,
    });
    this.hub = new MarketDataHub(opts.exchange);
    const limits: StreamLimits = { ...DEFAULT_LIMITS, ...opts.limits };
    let streamIds = 0;
    const logger = opts.logger;
    const track = (w: StreamWriter<unknown>, shutdown?: () => void): boolean => {
      if (this.closing) return false;
      this.streams.set(w, shutdown ?? (() => w.gracefulClose(serviceError(Code.SHUTTING_DOWN, 'server is shutting down'))));
      // One correlation id per stream, from open to close; abnormal ends (slow consumer,
      // revoked token, ...) at info, the rest at debug: never a line per message.
      const cid = `grpc-${++streamIds}`;
      const method = (w.call as { getPath?: () => string }).getPath?.() ?? 'stream';
      logger?.debug?.({ cid, method, peer: w.call.getPeer() }, 'grpc stream opened');
      w.onClose((code) => {
        this.streams.delete(w);
        if (!logger) return;
        const fields = { cid, method, code, reason: codeName(code) };
        if (code === Code.OK || code === Code.SHUTTING_DOWN) logger.debug?.(fields, 'grpc stream closed');
        else logger.info(fields, 'grpc stream closed');
      });
      return true;
    };

    if (opts.logger) {
      const logger = opts.logger;
      setInternalErrorReporter((err, ref) => logger.error({ cid: ref, err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }, 'grpc handler failed'));
    }
    const stock = stockHandlers({ exchange: opts.exchange, auth: opts.auth, hub: this.hub, limits, track });
    const orderEntry = orderEntryHandler({
      exchange: opts.exchange,
      auth: opts.auth,
      spec: STOCK_METHODS.orderEntry!,
      maxInflight: opts.limits?.orderEntryInflight ?? 4096,
      window: opts.limits?.orderEntryWindow ?? 1024,
      maxQueued: limits.maxQueued,
      stuckMs: limits.stuckMs,
      track,
    });
    this.server.addService(stockServiceDef, {
      ...stock,
      orderEntry: orderEntry as (call: ServerDuplexStream<OrderEntryRequest | Malformed, OrderEntryResponse>) => void,
    } as unknown as UntypedServiceImplementation);
    this.server.addService(authServiceDef, authHandlers(opts.auth) as unknown as UntypedServiceImplementation);
    this.server.addService(adminServiceDef, adminHandlers(opts.exchange, opts.auth) as unknown as UntypedServiceImplementation);

    const initial: Record<string, ServingStatus> = { '': 'NOT_SERVING' };
    for (const s of SERVICE_NAMES) initial[s] = 'NOT_SERVING';
    this.health = new HealthImplementation(initial);
    this.health.addToServer(this.server);

    const pkg = protoLoader.loadSync(PROTO_FILES, { includeDirs: [PROTO_DIR], keepCase: true, longs: String, enums: String, defaults: true });
    new ReflectionService(pkg).addToServer(this.server);

    opts.extraServices?.(this.server);
  }

  /** Bind and start serving; resolves to the bound port. Sets health to SERVING. */
  async listen(): Promise<number> {
    const host = this.opts.host ?? '127.0.0.1';
    const port = this.opts.port ?? 0;
    const tls = this.opts.tls;
    const creds = tls
      ? ServerCredentials.createSsl(tls.ca ? pem(tls.ca) : null, [{ cert_chain: pem(tls.cert), private_key: pem(tls.key) }], tls.requireClientCert ?? false)
      : ServerCredentials.createInsecure();
    const addr = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
    this.boundPort = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(addr, creds, (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.setReady(true);
    this.opts.logger?.info({ host, port: this.boundPort, tls: !!tls }, 'grpc gateway listening');
    return this.boundPort;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Open streams (tests, metrics). */
  get activeStreams(): number {
    return this.streams.size;
  }

  get isReady(): boolean {
    return this.ready;
  }

  /** Health status of every service (SERVING / NOT_SERVING), e.g. NOT_SERVING while recovering. */
  setReady(ready: boolean): void {
    this.ready = ready;
    const s: ServingStatus = ready && !this.closing ? 'SERVING' : 'NOT_SERVING';
    this.health.setStatus('', s);
    for (const name of SERVICE_NAMES) this.health.setStatus(name, s);
  }

  /**
   * Graceful shutdown: health NOT_SERVING, no new calls or streams, unary calls
   * in flight are answered, OrderEntry streams answer what they received, every
   * stream ends with UNAVAILABLE (SHUTTING_DOWN); after `graceMs` the rest is cut.
   */
  close(graceMs = this.opts.shutdownGraceMs ?? 5000): Promise<void> {
    if (this.closed) return this.closed;
    this.closing = true;
    this.setReady(false);
    for (const shutdown of [...this.streams.values()]) shutdown();
    this.closed = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.opts.logger?.warn({ streams: this.streams.size }, 'grpc gateway: forcing shutdown');
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      timer.unref();
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    return this.closed;
  }
}

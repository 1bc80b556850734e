/**
 * The operator's HTTP endpoint: Prometheus metrics on /metrics, liveness on
 * /healthz (the process is up) and readiness on /readyz (recovery finished and
 * gateways serving; 503 before that and while shutting down).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface OpsServerOptions {
  host: string;
  port: number;
  registry: Registry;
  isReady: () => boolean;
  /** Extra detail for /readyz (e.g. journal lag, writer lag). */
  details?: () => Record<string, unknown>;
  /**
   * /debug/state: the engine's last sequence and full-state hash, to prove a
   * recovery or replay reproduced the state. O(state) to compute: not for polling.
   */
  debugState?: () => Record<string, unknown>;
}

export class OpsServer {
  private server?: http.Server;
  constructor(private readonly opts: OpsServerOptions) {}

  async listen(): Promise<number> {
    const { registry } = this.opts;
    this.server = http.createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0];
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (url === '/metrics') {
        registry.metrics().then(
          (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
          (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(err.message),
        );
      } else if (url === '/healthz') {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}\n');
      } else if (url === '/debug/state' && this.opts.debugState) {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.opts.debugState()) + '\n');
      } else if (url === '/readyz') {
        const ready = this.opts.isReady();
        const body = JSON.stringify({ status: ready ? 'ready' : 'not-ready', ...(this.opts.details?.() ?? {}) });
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(body + '\n');
      } else {
        res.writeHead(404, { 'content-type': 'application/problem+json' }).end(
          JSON.stringify({ type: 'about:blank', title: 'Not Found', status: 404, detail: `no route ${url}` }) + '\n',
        );
      }
    });
    this.server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.opts.port, this.opts.host, () => resolve());
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
  }
}

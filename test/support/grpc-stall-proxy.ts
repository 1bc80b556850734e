/**
 * A loopback TCP proxy in front of the gRPC server that can stop reading what
 * the server sends (stall) and start again: a client that does not read at
 * all, as far as the server's HTTP/2 flow control can tell. (A paused grpc-js
 * client stream still lets HTTP/2 consume data, so it cannot play the stuck
 * client by itself.)
 */
import net from 'node:net';

export class StallProxy {
  private readonly server: net.Server;
  private readonly upstreams = new Map<net.Socket, net.Socket>();
  private readonly sockets = new Set<net.Socket>();
  private stalled = false;
  port = 0;

  constructor(private readonly targetPort: number) {
    this.server = net.createServer((client) => {
      const up = net.connect(this.targetPort, '127.0.0.1');
      this.sockets.add(client).add(up);
      this.upstreams.set(up, client);
      const drop = () => {
        client.destroy();
        up.destroy();
        this.sockets.delete(client);
        this.sockets.delete(up);
        this.upstreams.delete(up);
      };
      client.on('error', drop).on('close', drop);
      up.on('error', drop).on('close', drop);
      client.pipe(up);
      up.pipe(client);
      if (this.stalled) up.pause();
    });
  }

  listen(): Promise<number> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve((this.port = (this.server.address() as net.AddressInfo).port))));
  }

  /** Stop reading server -> client bytes (kernel buffers then fill and the server's writes stall). */
  stall(): void {
    this.stalled = true;
    for (const u of this.upstreams.keys()) {
      u.unpipe();
      u.pause();
    }
  }

  unstall(): void {
    this.stalled = false;
    for (const [u, client] of this.upstreams) {
      u.pipe(client);
      u.resume();
    }
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * What a TcpSession needs from its gateway (kept as an interface so the
 * session and the server do not import each other).
 */
import type { ExchangeApi } from '../engine/core-api.ts';
import type { AuthManager } from '../engine/auth/index.ts';
import type { SymbolDirectory } from './symbol-directory.ts';
import type { TcpSession } from './session.ts';

/** Resolved gateway options (see TcpGatewayOptions for meanings and defaults). */
export interface ResolvedTcpOptions {
  maxFrameLength: number;
  heartbeatMs: number;
  minHeartbeatMs: number;
  maxHeartbeatMs: number;
  timeoutFactor: number;
  loginTimeoutMs: number;
  maxCancelGraceMs: number;
  highWaterBytes: number;
  hardLimitBytes: number;
  maxConnections: number;
  keepAliveMs: number;
  closeTimeoutMs: number;
}

/** The subset of the auth manager the TCP gateway uses. */
export type TcpAuth = Pick<AuthManager, 'authenticate' | 'authorize' | 'watch' | 'checkOrderRate' | 'checkRate'>;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface GatewayContext {
  readonly exchange: ExchangeApi;
  readonly auth: TcpAuth;
  readonly directory: SymbolDirectory;
  readonly opts: ResolvedTcpOptions;
  markDirty(s: TcpSession): void;
  onLogin(s: TcpSession): void;
  onClosed(s: TcpSession, wasLoggedIn: boolean): void;
  log(level: LogLevel, obj: Record<string, unknown>, msg: string): void;
}

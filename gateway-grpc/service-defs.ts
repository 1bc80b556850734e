/**
 * The grpc-js service definitions the gateway registers, derived from the
 * ts-proto output (gen/) with two changes:
 *  - request deserializers never throw: undecodable bytes become the MALFORMED
 *    marker, so the handler answers INVALID_ARGUMENT (MALFORMED_FRAME) with the
 *    usual trailing metadata instead of grpc-js's bare INTERNAL;
 *  - StreamMarketData's response serializer passes Buffers through: market data
 *    is encoded once per update by the hub and the same bytes go to every
 *    subscriber;
 *  - OrderEntry's response serializer passes Buffers through (pre-encoded
 *    frames, see framed-writer.ts) and encodes objects as before.
 */
import type { ServiceDefinition } from '@grpc/grpc-js';
import { AdminServiceService } from '../gen/aurex/admin/v1/admin.ts';
import { AuthServiceService } from '../gen/aurex/auth/v1/auth.ts';
import { StockServiceService } from '../gen/aurex/stock/v1/stock.ts';

/** Marker for a request whose bytes did not decode. */
export const MALFORMED: unique symbol = Symbol('malformed request');
export type Malformed = typeof MALFORMED;

export function isMalformed(x: unknown): x is Malformed {
  return x === MALFORMED;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDef = Record<string, any>;

function safeDeserializers<T extends AnyDef>(def: T): T {
  const out: AnyDef = {};
  for (const [name, m] of Object.entries(def)) {
    const decode = m.requestDeserialize as (b: Buffer) => unknown;
    out[name] = {
      ...m,
      requestDeserialize: (b: Buffer) => {
        try {
          return decode(b);
        } catch {
          return MALFORMED;
        }
      },
    };
  }
  return out as T;
}

const passBuffer = (b: Buffer): Buffer => b;
const encodeOrderEntry = StockServiceService.orderEntry.responseSerialize as (m: unknown) => Buffer;
const orderEntryResponse = (m: unknown): Buffer => (Buffer.isBuffer(m) ? m : encodeOrderEntry(m));

export const stockServiceDef = safeDeserializers({
  ...StockServiceService,
  streamMarketData: { ...StockServiceService.streamMarketData, responseSerialize: passBuffer },
  orderEntry: { ...StockServiceService.orderEntry, responseSerialize: orderEntryResponse },
}) as unknown as ServiceDefinition;

export const authServiceDef = safeDeserializers(AuthServiceService) as unknown as ServiceDefinition;
export const adminServiceDef = safeDeserializers(AdminServiceService) as unknown as ServiceDefinition;

/** Fully-qualified service names (health checking, reflection). */
export const SERVICE_NAMES = ['aurex.stock.v1.StockService', 'aurex.auth.v1.AuthService', 'aurex.admin.v1.AdminService'] as const;

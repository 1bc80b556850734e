/**
 * The gateway's symbol directory: a dense u16 id per tradable symbol, stable
 * for the lifetime of the gateway (ids are only ever appended), plus the
 * symbol configs the edge validation needs, indexed by id for O(1) lookup on
 * the order path.
 */
import type { ExchangeApi } from '../engine/core-api.ts';
import type { SymbolConfig } from '../engine/types.ts';
import { MAX_DIRECTORY_ENTRIES, SYMBOL_BYTES } from './protocol.ts';
import type { SymbolEntry } from './codec.ts';

/** Ids are u16 and 0 means "none". */
const MAX_ID = 0xffff;

export class SymbolDirectory {
  /** Index = symbol id; [0] unused. */
  private readonly byId: (SymbolConfig | undefined)[] = [undefined];
  private readonly ids = new Map<string, number>();

  constructor(private readonly exchange: ExchangeApi) {
    this.refresh();
  }

  /** Picks up symbols added since the last call (called at every login). */
  refresh(): void {
    for (const cfg of this.exchange.symbols()) {
      const known = this.ids.get(cfg.symbol);
      if (known !== undefined) {
        this.byId[known] = cfg; // configs may change (reference price); ids do not
        continue;
      }
      if (!fitsWire(cfg) || this.byId.length > MAX_ID) continue;
      this.ids.set(cfg.symbol, this.byId.length);
      this.byId.push(cfg);
    }
  }

  /** Config by wire id, or undefined. */
  config(id: number): SymbolConfig | undefined {
    return this.byId[id];
  }

  /** Wire id of a symbol name, 0 when it has none. */
  id(symbol: string): number {
    return this.ids.get(symbol) ?? 0;
  }

  get size(): number {
    return this.byId.length - 1;
  }

  /** The directory as frames' worth of entries (at most MAX_DIRECTORY_ENTRIES each). */
  pages(): SymbolEntry[][] {
    const all: SymbolEntry[] = [];
    for (let id = 1; id < this.byId.length; id++) {
      const c = this.byId[id]!;
      all.push({
        symbolId: id,
        symbol: c.symbol,
        tickSize: c.tickSize,
        lotSize: c.lotSize,
        referencePrice: c.referencePrice,
        maxOrderQty: c.maxOrderQty,
      });
    }
    const pages: SymbolEntry[][] = [];
    for (let i = 0; i < all.length; i += MAX_DIRECTORY_ENTRIES) pages.push(all.slice(i, i + MAX_DIRECTORY_ENTRIES));
    if (pages.length === 0) pages.push([]);
    return pages;
  }
}

/** 1..8 printable ASCII characters, and u32-sized tick and lot sizes. */
function fitsWire(cfg: SymbolConfig): boolean {
  const s = cfg.symbol;
  if (!(cfg.tickSize <= 0xffffffff && cfg.lotSize <= 0xffffffff)) return false;
  if (s.length === 0 || s.length > SYMBOL_BYTES) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

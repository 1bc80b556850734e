/** Command fixtures for the durability tests: one of every Command variant, stamped. */
import { Code } from '../../engine/codes.ts';
import type { Command } from '../../engine/types.ts';

export function everyCommandVariant(startSeq = 1, ts = 1_700_000_000_000): Command[] {
  const cmds: Command[] = [
    {
      type: 'addSymbol',
      config: {
        symbol: 'AAPL',
        name: 'Apple Inc. — ordinary shares',
        tickSize: 1,
        lotSize: 1,
        referencePrice: 15000,
        bandPercent: 10,
        maxOrderQty: 1_000_000,
        maxOrderNotional: 9_007_199_254_740_991,
        makerFeeBps: 0,
        takerFeeBps: 2,
        indices: { TOP10: 0.25, TECH: 1 },
      },
    },
    { type: 'addSymbol', config: { symbol: 'MSFT', name: 'Microsoft', tickSize: 1, lotSize: 10, referencePrice: 30000, bandPercent: 5, maxOrderQty: 100000, maxOrderNotional: 1e12 } },
    { type: 'createAccount', accountId: 1, cash: 10_000_000_00 },
    { type: 'createAccount', accountId: 2, cash: 0, positions: { AAPL: 1000, MSFT: 50 } },
    { type: 'deposit', accountId: 1, amount: -500 },
    { type: 'adjustPosition', accountId: 2, symbol: 'AAPL', delta: -10 },
    { type: 'new', accountId: 1, clientOrderId: 'c-1', symbol: 'AAPL', side: 'BUY', kind: 'LIMIT', price: 15001, qty: 100 },
    { type: 'new', accountId: 2, clientOrderId: 'ünïcødé', symbol: 'AAPL', side: 'SELL', kind: 'STOP_LIMIT', price: 14000, qty: 5, stopPrice: 14500, postOnly: false },
    { type: 'new', accountId: 2, clientOrderId: 'p', symbol: 'MSFT', side: 'SELL', kind: 'MARKET', price: 0, qty: 9_007_199_254_740_991, postOnly: true },
    { type: 'cancel', accountId: 1, orderId: 7 },
    { type: 'cancel', accountId: 1, clientOrderId: 'c-1' },
    { type: 'cancel', accountId: 1, orderId: 1, clientOrderId: 'x' },
    { type: 'replace', accountId: 1, orderId: 3, price: 15002, qty: 50 },
    { type: 'replace', accountId: 1, clientOrderId: 'c-9', price: 1, qty: 1 },
    { type: 'massCancel', accountId: 2, reason: Code.CANCEL_ON_DISCONNECT },
    { type: 'massCancel', accountId: 2, symbol: 'MSFT', reason: Code.CANCEL_BY_ADMIN },
    { type: 'halt', symbol: 'MSFT' },
    { type: 'resume', symbol: 'MSFT' },
  ];
  cmds.forEach((c, i) => {
    c.seq = startSeq + i;
    c.ts = ts + i;
  });
  return cmds;
}

/** A stamped limit order (for volume tests). */
export function orderCmd(seq: number, i = seq): Command {
  return {
    type: 'new',
    seq,
    ts: 1_700_000_000_000 + seq,
    accountId: 1 + (i % 7),
    clientOrderId: `o-${i}`,
    symbol: i % 2 ? 'AAPL' : 'MSFT',
    side: i % 3 ? 'BUY' : 'SELL',
    kind: 'LIMIT',
    price: 10000 + (i % 50),
    qty: 1 + (i % 100),
  };
}

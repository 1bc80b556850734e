/**
 * Crash test (server level): after a restart, holds the recovered server
 * against (a) what the clients were told before the kill, (b) its own
 * consistency (every record complete, reservations equal to what open orders
 * need, cash and shares conserved), and (c) an independent replay of its data
 * directory, compared with what the server reports through gRPC and TCP.
 * Returns the list of problems (empty = recovered correctly).
 */
import { isDeepStrictEqual } from 'node:util';
import { buyReserve } from '../../engine/accounts.ts';
import type { MarketConfig } from '../../engine/symbols.ts';
import {
  getAccount,
  listOpenOrders,
  LIVE,
  OrderLookup,
  seenOfAccountView,
  seenOfView,
  USERS,
  type SeenAccount,
  type SeenOrder,
  type ServerSessions,
  type User,
} from './crash-api.ts';
import { replayWhenSettled } from './crash-journal.ts';
import { checkOrder, type Ledger, type OrderRec } from './crash-ledger.ts';

export interface VerifyOptions {
  metricsPort: number;
  /** lastSeq the server announced when it became ready. */
  readySeq: number;
  sessions: ServerSessions;
  ledger: Ledger;
  market: MarketConfig;
  journalDir: string;
  /** The round whose orders are checked in full (the one just killed; -1 before any). */
  round: number;
  /** Conserved totals: cash over all accounts, shares per symbol. */
  totals: { cash: number; shares: number };
  /** Per user and gateway: order lookups allowed (the server's query limit). */
  lookupBudget?: number;
}

export interface VerifyResult {
  problems: string[];
  lastSeq: number;
  snapshotSeq: number;
  fullReplay: boolean;
  checked: number;
  apiLookups: number;
  lookupsSkipped: number;
  openOrders: number;
}

async function readySeq(port: number): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${port}/readyz`);
  const body = (await r.json()) as { status: string; lastSeq: number };
  if (r.status !== 200 || body.status !== 'ready') throw new Error(`server not ready: ${r.status} ${JSON.stringify(body)}`);
  return body.lastSeq;
}

const same = (a: unknown, b: unknown) => isDeepStrictEqual(a, b);
const show = (v: unknown) => JSON.stringify(v);

export async function verifyRecovered(o: VerifyOptions): Promise<VerifyResult> {
  const problems: string[] = [];
  const { ledger, sessions } = o;
  const seq0 = await readySeq(o.metricsPort);
  if (seq0 !== o.readySeq) problems.push(`/readyz lastSeq ${seq0} != ready message ${o.readySeq}`);
  if (seq0 < ledger.maxAckedSeq) problems.push(`recovered to seq ${seq0}, but clients saw answers up to seq ${ledger.maxAckedSeq}`);

  // What the server says, through the API.
  const accounts = {} as Record<User, SeenAccount>;
  const open = {} as Record<User, SeenOrder[]>;
  for (const u of USERS) {
    accounts[u] = await getAccount(sessions.users[u]);
    open[u] = await listOpenOrders(sessions.users[u]);
  }

  // An independent rebuild from the files.
  const rep = await replayWhenSettled(o.journalDir, o.market, seq0);
  try {
    const ex = rep.ex;
    const bad = ex.checkInvariants();
    if (bad.length) problems.push(`replayed state breaks invariants: ${bad.slice(0, 5).join('; ')}`);
    if (rep.stats.torn) problems.push(`journal still has a torn tail after the restart: ${show(rep.stats.torn)}`);
    if (rep.full) {
      if (rep.full.lastSeq() !== ex.lastSeq()) problems.push(`full replay at seq ${rep.full.lastSeq()}, snapshot replay at ${ex.lastSeq()}`);
      else if (rep.full.stateHash() !== ex.stateHash()) problems.push(`full journal replay and snapshot + tail replay differ (snapshot ${rep.snapshotSeq})`);
    }
    // The running server's whole state, bit for bit, against the independent replay.
    const live = (await (await fetch(`http://127.0.0.1:${o.metricsPort}/debug/state`)).json()) as { lastSeq: number; stateHash: string };
    if (live.lastSeq !== ex.lastSeq()) problems.push(`server /debug/state at seq ${live.lastSeq}, replay at ${ex.lastSeq()}`);
    else if (live.stateHash !== ex.stateHash()) problems.push(`server stateHash ${live.stateHash} != replayed ${ex.stateHash()} at seq ${live.lastSeq}`);
    if (ex.totalCash() !== o.totals.cash) problems.push(`replayed total cash ${ex.totalCash()} != ${o.totals.cash}`);
    for (const s of ex.symbols()) {
      if (ex.totalShares(s.symbol) !== o.totals.shares) problems.push(`replayed total ${s.symbol} shares ${ex.totalShares(s.symbol)} != ${o.totals.shares}`);
    }

    // Execution reports now resolve to orders (the replay names ids the reports left out).
    ledger.applyExecs((user, exchId) => ex.getOrder(sessions.users[user].accountId, { orderId: exchId })?.clientOrderId);

    // (b) + (c) per account: API == replay, and the API picture is self-consistent.
    const cfg = new Map(o.market.symbols.map((s) => [s.symbol, s]));
    let cashSum = 0;
    const sharesSum = new Map<string, number>();
    for (const u of USERS) {
      const id = sessions.users[u].accountId;
      const a = accounts[u];
      const view = ex.account(id);
      if (!view) {
        problems.push(`${u}: account ${id} missing from the replay`);
        continue;
      }
      const ra = seenOfAccountView(view);
      if (!same(a, ra)) problems.push(`${u}: account over gRPC ${show(a)} != replay ${show(ra)}`);
      const ro = ex.openOrders(id).map(seenOfView).sort((x, y) => x.exchId - y.exchId);
      if (!same(open[u], ro)) problems.push(`${u}: open orders over gRPC (${open[u].length}) != replay (${ro.length}): ${show(open[u].slice(0, 3))} vs ${show(ro.slice(0, 3))}`);
      // Reservations are exactly what the open orders need.
      let needCash = 0;
      const needShares = new Map<string, number>();
      for (const x of open[u]) {
        const c = cfg.get(x.symbol)!;
        if (!LIVE.has(x.status) || x.remaining <= 0) problems.push(`${u}: open order #${x.exchId} is ${x.status} remaining ${x.remaining}`);
        if (x.side === 'BUY') needCash += buyReserve(x.price, x.remaining, c.tickSize, Math.max(c.makerFeeBps ?? 0, c.takerFeeBps ?? 0));
        else needShares.set(x.symbol, (needShares.get(x.symbol) ?? 0) + x.remaining);
      }
      if (a.openOrders !== open[u].length) problems.push(`${u}: account says ${a.openOrders} open orders, list has ${open[u].length}`);
      if (a.reservedCash !== needCash) problems.push(`${u}: reserved cash ${a.reservedCash}, open buy orders need ${needCash}`);
      if (a.availableCash !== a.cash - a.reservedCash || a.reservedCash > a.cash) problems.push(`${u}: cash ${a.cash} reserved ${a.reservedCash} available ${a.availableCash}`);
      for (const p of a.positions) {
        if (p.reserved !== (needShares.get(p.symbol) ?? 0)) problems.push(`${u}: ${p.symbol} reserved ${p.reserved}, open sells need ${needShares.get(p.symbol) ?? 0}`);
        if (p.available !== p.shares - p.reserved || p.reserved > p.shares || p.shares < 0) problems.push(`${u}: position ${show(p)}`);
        sharesSum.set(p.symbol, (sharesSum.get(p.symbol) ?? 0) + p.shares);
      }
      for (const [sym, n] of needShares) if (!a.positions.some((p) => p.symbol === sym)) problems.push(`${u}: open sells of ${n} ${sym} with no position`);
      cashSum += a.cash;
      // Nothing in the book that no client sent.
      for (const x of open[u]) if (!ledger.byCid(u, x.cid!)) problems.push(`${u}: open order #${x.exchId} (${x.cid}) was never sent by a client`);
    }
    // Only alice and bob hold cash or shares (the other demo users start empty and cannot trade).
    if (cashSum !== o.totals.cash) problems.push(`cash over gRPC sums to ${cashSum}, expected ${o.totals.cash}`);
    for (const s of o.market.symbols) {
      if ((sharesSum.get(s.symbol) ?? 0) !== o.totals.shares) problems.push(`${s.symbol} shares over gRPC sum to ${sharesSum.get(s.symbol) ?? 0}, expected ${o.totals.shares}`);
    }

    // (a) order by order: through the API (as far as the query limit allows) and in the replay.
    const budget = o.lookupBudget ?? 90;
    let checked = 0;
    let apiLookups = 0;
    let skipped = 0;
    const settleList: [OrderRec, SeenOrder | null][] = [];
    for (const u of USERS) {
      const s = sessions.users[u];
      const lookup = new OrderLookup(s, { grpc: budget, tcp: budget });
      const openById = new Map(open[u].map((x) => [x.exchId, x]));
      const openByCid = new Map(open[u].map((x) => [x.cid!, x]));
      const recs = ledger.toCheck(o.round).filter((r) => r.user === u);
      // Orders of the round just killed first: they are the ones the crash could have hurt.
      recs.sort((x, y) => (y.round === o.round ? 1 : 0) - (x.round === o.round ? 1 : 0));
      for (const rec of recs) {
        checked++;
        const rv = rec.exchId ? ex.getOrder(s.accountId, { orderId: rec.exchId }) : ex.getOrder(s.accountId, { clientOrderId: rec.cid });
        const replayed = rv ? seenOfView(rv) : null;
        problems.push(...checkOrder(rec, replayed, 'replay'));
        if (replayed && rec.exchId === 0) {
          const byId = ex.getOrder(s.accountId, { orderId: replayed.exchId });
          if (!byId || byId.clientOrderId !== rec.cid) problems.push(`replay: ${rec.key} found by client id as #${replayed.exchId}, not by exchange id`);
        }
        let api: SeenOrder | null | undefined = rec.exchId ? openById.get(rec.exchId) : openByCid.get(rec.cid);
        if (api === undefined) {
          api = await lookup.find(rec.exchId ? { exchId: rec.exchId } : { cid: rec.cid }, rec.via);
          if (api !== undefined) apiLookups++;
        }
        if (api === undefined) skipped++;
        else {
          problems.push(...checkOrder(rec, api, `${u} API`));
          // (c) the server's answer is the replay's, field by field (TCP cannot show non-numeric client ids).
          const cmp = api && replayed && api.cid === undefined ? { ...replayed, cid: undefined } : replayed;
          if (!same(api, cmp)) problems.push(`${rec.key}: API ${show(api)} != replay ${show(cmp)}`);
        }
        settleList.push([rec, replayed]);
      }
    }

    const seq1 = await readySeq(o.metricsPort);
    if (seq1 !== seq0) problems.push(`the server moved from seq ${seq0} to ${seq1} while idle`);
    if (problems.length === 0) for (const [rec, seen] of settleList) ledger.settle(rec, seen);
    problems.push(...ledger.problems.splice(0));
    return {
      problems,
      lastSeq: seq0,
      snapshotSeq: rep.snapshotSeq,
      fullReplay: rep.full !== undefined,
      checked,
      apiLookups,
      lookupsSkipped: skipped,
      openOrders: open.alice.length + open.bob.length,
    };
  } finally {
    rep.close();
  }
}

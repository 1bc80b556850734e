/**
 * `npm run cli -- <command> ...`: a small trading client over the gRPC API.
 *
 *   login <email> <password> [totp]      log in (2FA: prompts for nothing; pass the code), saves the token
 *   logout
 *   submit <BUY|SELL> <symbol> <qty> <price|MKT> [--type LIMIT|IOC|FOK|MARKET] [--id clientOrderId] [--post-only]
 *   cancel <clientOrderId>
 *   replace <clientOrderId> <newPrice> <newQty>
 *   status <clientOrderId>
 *   open [symbol]                          open orders
 *   trades [symbol]                        own trades
 *   account                                cash and positions
 *   symbols                                listed symbols
 *   book <symbol> [depth]                  L2 snapshot
 *   index [name]                           index value (default TOP10)
 *   watch <symbol...> [--depth N]          stream market data (Ctrl-C to stop)
 *   executions [fromSeq]                   stream own execution reports (-1 = all retained)
 *
 * Options: --addr host:port, --tls [--ca file], --token T (see cli-common.ts).
 */
import { AuthServiceClient } from '../gen/aurex/auth/v1/auth.ts';
import { OrderRequest, OrderSide, OrderStatus, OrderType, StockServiceClient } from '../gen/aurex/stock/v1/stock.ts';
import { address, bearerMd, channelCredentials, fail, parseArgs, saveToken, show, token, unary, TOKEN_FILE } from './cli-common.ts';

const USAGE = `usage: npm run cli -- <command> ...

  login <email> <password> [totp]      log in and save the trading token (~/.aurex/token)
  logout
  submit <BUY|SELL> <symbol> <qty> <price|MKT> [--type LIMIT|IOC|FOK|MARKET] [--id clientOrderId] [--post-only]
  cancel <clientOrderId>
  replace <clientOrderId> <newPrice> <newQty>
  status <clientOrderId>
  open [symbol]                        open orders
  trades [symbol]                      own trades
  account                              cash and positions
  symbols                              listed symbols (reference prices, tick sizes)
  book <symbol> [depth]                L2 snapshot
  index [name]                         index value (default TOP10)
  watch <symbol...> [--depth N]        stream market data (Ctrl-C to stop)
  executions [fromSeq]                 stream own execution reports (-1 = all retained)

options: --addr host:port (default 127.0.0.1:50051), --tls [--ca file], --token T`;

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const [cmd, ...rest] = a.positional;
  if (!cmd || a.flags.help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  const addr = address(a);
  const creds = channelCredentials(a);
  if (cmd === 'login' || cmd === 'logout') {
    const c = new AuthServiceClient(addr, creds);
    if (cmd === 'login') {
      const [email, password, totp] = rest;
      if (!email || !password) throw new Error('usage: login <email> <password> [totp]');
      const r = await unary(c.login.bind(c), { email, password, totpCode: totp ?? '' });
      if (r.twoFactorRequired) throw new Error('two-factor authentication is on: pass the 6-digit code as the third argument');
      saveToken(r.tradingToken);
      show({ userId: r.userId, accountId: r.accountId, role: r.role, tradingExpiresIn: r.tradingExpiresIn, savedTo: TOKEN_FILE });
    } else {
      show(await unary(c.logout.bind(c), { token: '' }, bearerMd(token(a))));
    }
    c.close();
    return;
  }
  const c = new StockServiceClient(addr, creds);
  const md = bearerMd(token(a));
  switch (cmd) {
    case 'submit': {
      const [sideS, symbol, qtyS, priceS] = rest;
      if (!sideS || !symbol || !qtyS || !priceS) throw new Error('usage: submit <BUY|SELL> <symbol> <qty> <price|MKT>');
      const side = sideS.toUpperCase() === 'BUY' ? OrderSide.BUY : sideS.toUpperCase() === 'SELL' ? OrderSide.SELL : OrderSide.UNSPECIFIED;
      const market = priceS.toUpperCase() === 'MKT';
      const typeName = (typeof a.flags.type === 'string' ? a.flags.type : market ? 'MARKET' : 'LIMIT').toUpperCase();
      const type = OrderType[typeName as keyof typeof OrderType] ?? OrderType.UNSPECIFIED;
      const id = typeof a.flags.id === 'string' ? a.flags.id : `cli-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
      const req = OrderRequest.fromPartial({
        orderId: id,
        symbol: symbol.toUpperCase(),
        side,
        type,
        quantity: BigInt(qtyS),
        price: market ? 0 : Number(priceS),
        postOnly: a.flags['post-only'] === true,
      });
      const r = await unary(c.submitOrder.bind(c), req, md);
      show({ ...r, status: OrderStatus[r.status] });
      break;
    }
    case 'cancel':
      show(await unary(c.cancelOrder.bind(c), { clientOrderId: rest[0] ?? '', exchangeOrderId: 0n, userId: '' }, md));
      break;
    case 'replace':
      show(
        await unary(
          c.replaceOrder.bind(c),
          { clientOrderId: rest[0] ?? '', exchangeOrderId: 0n, userId: '', newPrice: Number(rest[1] ?? 0), newPriceTicks: 0n, newQuantity: BigInt(rest[2] ?? 0) },
          md,
        ),
      );
      break;
    case 'status': {
      const r = await unary(c.orderStatus.bind(c), { orderId: rest[0] ?? '', userId: '', exchangeOrderId: 0n }, md);
      show({ ...r, status: OrderStatus[r.status] });
      break;
    }
    case 'open':
      show(await unary(c.listOpenOrders.bind(c), { symbol: (rest[0] ?? '').toUpperCase() }, md));
      break;
    case 'trades':
      show(await unary(c.getTrades.bind(c), { symbol: (rest[0] ?? '').toUpperCase(), limit: 0, afterTradeId: 0n, exchangeOrderId: 0n }, md));
      break;
    case 'account':
      show(await unary(c.getAccount.bind(c), {}, md));
      break;
    case 'symbols':
      show(await unary(c.listSymbols.bind(c), {}, md));
      break;
    case 'book':
      show(await unary(c.getOrderBook.bind(c), { symbol: (rest[0] ?? '').toUpperCase(), depth: Number(rest[1] ?? 10) }, md));
      break;
    case 'index':
      show(await unary(c.getMarketIndex.bind(c), { indexName: rest[0] ?? 'TOP10' }, md));
      break;
    case 'watch':
    case 'executions': {
      const s =
        cmd === 'watch'
          ? c.streamMarketData({ symbols: rest.map((x) => x.toUpperCase()), depth: Number(typeof a.flags.depth === 'string' ? a.flags.depth : 5) }, md)
          : c.streamExecutions({ fromSeq: BigInt(rest[0] ?? 0) }, md);
      process.on('SIGINT', () => s.cancel());
      await new Promise<void>((resolve, reject) => {
        s.on('data', (m: unknown) => show(m));
        s.on('end', resolve);
        s.on('error', (e: { code: number }) => (e.code === 1 ? resolve() : reject(e)));
      });
      break;
    }
    default:
      throw new Error(`unknown command ${cmd}\n${USAGE}`);
  }
  c.close();
}

main().catch(fail);

/**
 * `npm run admin -- <command> ...`: administration of a running Aurex server
 * through its gRPC AdminService (admin role needed).
 *
 *   login <email> <password> [totp]                  log in as an admin, saves the token
 *   create-user <email> <password> [trader|admin|readonly] [cashMinor]
 *   users                                            list users
 *   lock <userId> | unlock <userId>
 *   revoke <userId>                                  revoke a user's sessions
 *   enable-2fa <userId>                              enable TOTP, prints the secret
 *   deposit <accountId> <amountMinor>                negative withdraws
 *   adjust <accountId> <symbol> <deltaShares>
 *   account <accountId>
 *   halt <symbol> | resume <symbol>
 *   add-symbol <symbol> <name> <tickMinor> <lot> <refPriceTicks> [bandPercent] [maxQty] [maxNotionalMinor]
 *   symbols
 *   cancel-all <accountId> [symbol]
 *
 * Options: --addr host:port, --tls [--ca file], --token T.
 */
import { AdminServiceClient } from '../gen/aurex/admin/v1/admin.ts';
import { AuthServiceClient, Role } from '../gen/aurex/auth/v1/auth.ts';
import { address, bearerMd, channelCredentials, fail, parseArgs, saveToken, show, token, unary } from '../gateway-grpc/cli-common.ts';

async function main(): Promise<void> {
  const a = parseArgs(process.argv.slice(2));
  const [cmd, ...r] = a.positional;
  const addr = address(a);
  const creds = channelCredentials(a);
  if (!cmd || a.flags.help) {
    process.stdout.write('usage: npm run admin -- <login|create-user|users|lock|unlock|revoke|enable-2fa|deposit|adjust|account|halt|resume|add-symbol|symbols|cancel-all> ...\n');
    return;
  }
  if (cmd === 'login') {
    const c = new AuthServiceClient(addr, creds);
    const res = await unary(c.login.bind(c), { email: r[0] ?? '', password: r[1] ?? '', totpCode: r[2] ?? '' });
    if (res.twoFactorRequired) throw new Error('two-factor authentication is on: pass the code as the third argument');
    saveToken(res.tradingToken);
    show({ userId: res.userId, role: Role[res.role] });
    c.close();
    return;
  }
  const c = new AdminServiceClient(addr, creds);
  const md = bearerMd(token(a));
  const big = (s: string | undefined) => BigInt(s ?? 0);
  switch (cmd) {
    case 'create-user': {
      const role = { trader: Role.TRADER, admin: Role.ADMIN, readonly: Role.READONLY }[(r[2] ?? 'trader') as 'trader'] ?? Role.UNSPECIFIED;
      show(await unary(c.createUser.bind(c), { email: r[0] ?? '', password: r[1] ?? '', role, initialCashMinor: big(r[3]), initialPositions: {} }, md));
      break;
    }
    case 'users':
      show(await unary(c.listUsers.bind(c), {}, md));
      break;
    case 'lock':
    case 'unlock':
      show(await unary(c.setUserLocked.bind(c), { userId: r[0] ?? '', locked: cmd === 'lock' }, md));
      break;
    case 'revoke':
      show(await unary(c.revokeSessions.bind(c), { userId: r[0] ?? '' }, md));
      break;
    case 'enable-2fa':
      show(await unary(c.enableTwoFactor.bind(c), { userId: r[0] ?? '' }, md));
      break;
    case 'deposit':
      show(await unary(c.deposit.bind(c), { accountId: big(r[0]), amountMinor: big(r[1]) }, md));
      break;
    case 'adjust':
      show(await unary(c.adjustPosition.bind(c), { accountId: big(r[0]), symbol: (r[1] ?? '').toUpperCase(), delta: big(r[2]) }, md));
      break;
    case 'account':
      show(await unary(c.getAccount.bind(c), { accountId: big(r[0]) }, md));
      break;
    case 'halt':
      show(await unary(c.haltSymbol.bind(c), { symbol: (r[0] ?? '').toUpperCase() }, md));
      break;
    case 'resume':
      show(await unary(c.resumeSymbol.bind(c), { symbol: (r[0] ?? '').toUpperCase() }, md));
      break;
    case 'add-symbol':
      show(
        await unary(
          c.addSymbol.bind(c),
          {
            symbol: (r[0] ?? '').toUpperCase(),
            name: r[1] ?? '',
            tickSizeMinor: big(r[2] ?? '1'),
            lotSize: big(r[3] ?? '1'),
            referencePriceTicks: big(r[4]),
            bandPercent: Number(r[5] ?? 10),
            maxOrderQuantity: big(r[6] ?? '1000000'),
            maxOrderNotionalMinor: big(r[7] ?? '5000000000'),
            makerFeeBps: 0,
            takerFeeBps: 0,
            indices: {},
          },
          md,
        ),
      );
      break;
    case 'symbols':
      show(await unary(c.listSymbols.bind(c), {}, md));
      break;
    case 'cancel-all':
      show(await unary(c.cancelAllOrders.bind(c), { accountId: big(r[0]), symbol: (r[1] ?? '').toUpperCase() }, md));
      break;
    default:
      throw new Error(`unknown command ${cmd}`);
  }
  c.close();
}

main().catch(fail);

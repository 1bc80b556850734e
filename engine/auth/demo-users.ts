/**
 * Demo mode: a few users with known passwords so a fresh `npm start` can be tried at once.
 * The server calls this only when demo mode is explicitly on (never implied by production config).
 * Existing demo users are left as they are (their passwords may have been changed).
 */
import { AurexError, Code } from '../codes.ts';
import type { Role } from '../types.ts';
import type { AuthManager } from './auth-manager.ts';

export interface DemoUser {
  email: string;
  password: string;
  role: Role;
  /** Minor units. */
  cash: number;
  /** Shares per symbol. */
  sharesPerSymbol: number;
}

export const DEMO_USERS: readonly DemoUser[] = [
  { email: 'alice@demo.aurex', password: 'Alice-Demo-2025!', role: 'trader', cash: 100_000_000, sharesPerSymbol: 10_000 },
  { email: 'bob@demo.aurex', password: 'Bob-Demo-2025!!', role: 'trader', cash: 100_000_000, sharesPerSymbol: 10_000 },
  { email: 'carol@demo.aurex', password: 'Carol-Demo-2025!', role: 'readonly', cash: 0, sharesPerSymbol: 0 },
  { email: 'admin@demo.aurex', password: 'Admin-Demo-2025!', role: 'admin', cash: 0, sharesPerSymbol: 0 },
];

export interface SeededUser {
  email: string;
  password: string;
  role: Role;
  accountId: number;
  userId: string;
  created: boolean;
}

export interface SeedOptions {
  /** Symbols to give the traders shares in (the server passes its configured symbols). */
  symbols?: readonly string[];
  users?: readonly DemoUser[];
  /** Where the credentials are printed (default console.log; pass () => {} to silence). */
  print?: (line: string) => void;
}

export async function seedDemoUsers(auth: AuthManager, opts: SeedOptions = {}): Promise<SeededUser[]> {
  const print = opts.print ?? ((l: string) => console.log(l));
  const out: SeededUser[] = [];
  for (const d of opts.users ?? DEMO_USERS) {
    const positions: Record<string, number> = {};
    if (d.sharesPerSymbol > 0) for (const s of opts.symbols ?? []) positions[s] = d.sharesPerSymbol;
    let created = true;
    let view;
    try {
      view = await auth.createUser({ email: d.email, password: d.password, role: d.role, cash: d.cash, positions });
    } catch (e) {
      if (!(e instanceof AurexError) || e.code !== Code.EMAIL_TAKEN) throw e;
      view = await auth.getUser(d.email);
      created = false;
    }
    out.push({ email: view.email, password: d.password, role: view.role, accountId: view.accountId, userId: view.userId, created });
  }
  print('DEMO MODE: demo users (do not use in production)');
  for (const u of out) {
    print(`  ${u.role.padEnd(8)} ${u.email.padEnd(20)} password ${u.password.padEnd(18)} account ${u.accountId}${u.created ? '' : ' (existing)'}`);
  }
  return out;
}

/**
 * TLS: with a certificate configured, the real server process serves gRPC over
 * TLS only. A client trusting the certificate logs in and trades; a plaintext
 * client and a client that does not trust the certificate are refused.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { AuthServiceClient } from '../gen/aurex/auth/v1/auth.ts';
import { GetAccountRequest, StockServiceClient } from '../gen/aurex/stock/v1/stock.ts';
import { bearer, call } from './support/grpc-harness.ts';
import { startServer, type ServerProcess } from './support/server-process.ts';

const FIXTURES = path.resolve(import.meta.dirname, 'fixtures', 'tls');
const CERT = path.join(FIXTURES, 'server.crt');
const KEY = path.join(FIXTURES, 'server.key');
const ALICE = { email: 'alice@demo.aurex', password: 'Alice-Demo-2025!', totpCode: '' };

describe('40 grpc: TLS', function () {
  this.timeout(60_000);
  let dataDir: string;
  let server: ServerProcess;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'aurex-tls-'));
    server = await startServer({ AUREX_DATA_DIR: dataDir, AUREX_TLS_CERT: CERT, AUREX_TLS_KEY: KEY });
  });
  after(async () => {
    await server?.stop('SIGTERM');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves a client that trusts the certificate', async () => {
    const creds = credentials.createSsl(fs.readFileSync(CERT));
    const addr = `localhost:${server.ports.grpc}`;
    const authc = new AuthServiceClient(addr, creds);
    const stock = new StockServiceClient(addr, creds);
    try {
      const login = await call(authc.login.bind(authc), ALICE);
      const acct = await call(stock.getAccount.bind(stock), GetAccountRequest.fromPartial({}), bearer(login.tradingToken));
      expect(Number(acct.accountId)).to.be.greaterThan(0);
      expect(Number(acct.cashMinor)).to.be.greaterThan(0);
    } finally {
      authc.close();
      stock.close();
    }
  });

  it('refuses a plaintext client and a client that does not trust the certificate', async () => {
    const addr = `localhost:${server.ports.grpc}`;
    for (const creds of [credentials.createInsecure(), credentials.createSsl()]) {
      const authc = new AuthServiceClient(addr, creds);
      try {
        const err = (await call(authc.login.bind(authc), ALICE, undefined, 3000).then(
          () => undefined,
          (e: ServiceError) => e,
        )) as ServiceError | undefined;
        expect(err, 'the call must fail').to.not.equal(undefined);
        expect(err!.code).to.be.oneOf([status.UNAVAILABLE, status.DEADLINE_EXCEEDED]);
      } finally {
        authc.close();
      }
    }
  });
});

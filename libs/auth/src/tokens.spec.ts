import { SignJWT, base64url } from 'jose';
import { generateKey, parseKeys, TokenRejected, TokenService } from './tokens';

const settings = (keys = parseKeys(generateKey('k1').encoded)) => ({ issuer: 'attest', audience: 'attest-api', keys });
const rejects = async (service: TokenService, token: string, reason: RegExp) => {
  const error = await service.verify(token).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TokenRejected);
  expect((error as TokenRejected).reason).toMatch(reason);
};

describe('TokenService', () => {
  const service = new TokenService(settings());

  it('mints and verifies a subject token', async () => {
    const actor = await service.verify(await service.mint({ role: 'subject', id: 'u1' }));
    expect(actor).toMatchObject({ role: 'subject', id: 'u1' });
  });

  it('binds a partner to its recipient and refuses a partner token without one', async () => {
    expect(await service.verify(await service.mint({ role: 'partner', id: 'p1', recipientId: 'bureau' }))).toMatchObject({ recipientId: 'bureau' });
    await expect(service.mint({ role: 'partner', id: 'p1' }).then((t) => service.verify(t))).rejects.toThrow(/must name its recipient/);
  });

  it('refuses an expired token', async () => {
    const token = await service.mint({ role: 'subject', id: 'u1' }, { ttlSeconds: 60, now: new Date(Date.now() - 3600_000) });
    await rejects(service, token, /expired/);
  });

  it('refuses a token for another audience or issuer', async () => {
    const keys = parseKeys(generateKey('k1').encoded);
    const other = new TokenService({ ...settings(keys), audience: 'elsewhere' });
    const mine = new TokenService(settings(keys));
    await rejects(mine, await other.mint({ role: 'operator', id: 'o' }), /claim aud/);
    const foreign = new TokenService({ ...settings(keys), issuer: 'evil' });
    await rejects(mine, await foreign.mint({ role: 'operator', id: 'o' }), /claim iss/);
  });

  it('refuses a token signed with another key under a known kid', async () => {
    const forged = new TokenService(settings(parseKeys(generateKey('k1').encoded)));
    await rejects(service, await forged.mint({ role: 'operator', id: 'o' }), /bad signature/);
  });

  it('refuses a tampered payload (role escalation)', async () => {
    const [header, , signature] = (await service.mint({ role: 'subject', id: 'u1' })).split('.');
    const payload = base64url.encode(JSON.stringify({ sub: 'u1', role: 'operator', iss: 'attest', aud: 'attest-api', iat: 1, exp: 4102444800 }));
    await rejects(service, `${header}.${payload}.${signature}`, /bad signature/);
  });

  it('refuses alg none and other algorithms', async () => {
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', kid: 'k1' }))}.${base64url.encode(JSON.stringify({ sub: 'u1', role: 'operator' }))}.`;
    await rejects(service, none, /algorithm none/);
    const hs512 = await new SignJWT({ role: 'operator' }).setProtectedHeader({ alg: 'HS512', kid: 'k1' }).setSubject('x').sign(new Uint8Array(64));
    await rejects(service, hs512, /algorithm HS512/);
    await rejects(service, 'not-a-token', /malformed/);
  });

  it('verifies tokens of every configured key (rotation) and refuses unknown kids', async () => {
    const [k1, k2] = [generateKey('k1'), generateKey('k2')];
    const old = new TokenService(settings(parseKeys(k1.encoded)));
    const rotated = new TokenService({ ...settings(parseKeys(`${k2.encoded},${k1.encoded}`)), activeKid: 'k2' });
    expect(await rotated.verify(await old.mint({ role: 'finance', id: 'f' }))).toMatchObject({ role: 'finance' });
    const retired = new TokenService(settings(parseKeys(k2.encoded)));
    await rejects(retired, await old.mint({ role: 'finance', id: 'f' }), /unknown key id/);
  });

  it('refuses weak keys at construction', () => {
    expect(() => new TokenService(settings([{ kid: 'short', secret: new Uint8Array(8) }]))).toThrow(/weak/);
  });
});

describe('TokenService: verified-token cache', () => {
  it('refuses a remembered token once it has expired', async () => {
    const service = new TokenService({ issuer: 'attest', audience: 'attest-api', keys: parseKeys(generateKey('k1').encoded), clockToleranceSeconds: 0 });
    // 2 s, not 1: expiry is in whole seconds from a floored `iat`, so a 1 s token minted late in a
    // second could expire before its first verification on a loaded machine.
    const token = await service.mint({ role: 'subject', id: 'u1' }, { ttlSeconds: 2 });
    expect(await service.verify(token)).toMatchObject({ id: 'u1' });
    expect(await service.verify(token)).toMatchObject({ id: 'u1' });
    await new Promise((r) => setTimeout(r, 3_100));
    await expect(service.verify(token)).rejects.toThrow(/expired/);
  });
});

import { evictOldestHalf } from '@attest/event-store';
import { randomBytes, randomUUID } from 'node:crypto';
import { errors, jwtVerify, SignJWT, decodeProtectedHeader } from 'jose';
import { z } from 'zod';
import { Actor, ROLES } from './actor';


/**
 * Bearer tokens: JWT signed with HS256 keys chosen by `kid` (rotation: add a key, sign with it,
 * keep the old one until its tokens have expired). Only HS256 is accepted, so `alg: none` and
 * algorithm confusion (an RS/ES public key used as an HMAC secret) are refused before any
 * signature work; issuer, audience, expiry and not-before are verified by jose.
 */
export interface SigningKey {
  kid: string;
  secret: Uint8Array;
}

export interface TokenSettings {
  issuer: string;
  audience: string;
  keys: SigningKey[];
  /** Key used to mint new tokens (default: the first). */
  activeKid?: string;
  clockToleranceSeconds?: number;
}

export const KEY_BYTES_MIN = 32;
export const TOKEN_TTL_SECONDS_MAX = 7 * 24 * 3600;

const claims = z.object({
  sub: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
  role: z.enum(ROLES),
  recipient_id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/).optional(),
  jti: z.string().max(128).optional(),
});

export class TokenRejected extends Error {
  constructor(readonly reason: string) {
    super(`token rejected: ${reason}`);
    this.name = 'TokenRejected';
  }
}

/** Parses `kid:base64url-secret,kid2:secret2` (the ATTEST_JWT_KEYS format). */
export const parseKeys = (value: string): SigningKey[] =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part) => {
      const separator = part.indexOf(':');
      if (separator < 1) throw new Error('each key must be written kid:secret');
      return { kid: part.slice(0, separator), secret: Buffer.from(part.slice(separator + 1), 'base64url') };
    });

export const generateKey = (kid = `dev-${randomBytes(3).toString('hex')}`): { kid: string; encoded: string } => ({
  kid,
  encoded: `${kid}:${randomBytes(KEY_BYTES_MIN).toString('base64url')}`,
});

const VERIFIED_TOKENS_MAX = 50_000;

export class TokenService {
  private readonly byKid: Map<string, Uint8Array>;
  private readonly verified = new Map<string, { actor: Actor; expiresAtMs: number; notBeforeMs: number }>();

  constructor(private readonly settings: TokenSettings) {
    if (settings.keys.length === 0) throw new Error('at least one signing key is required');
    for (const key of settings.keys) {
      if (key.secret.length < KEY_BYTES_MIN) throw new Error(`key ${key.kid} is weak: at least ${KEY_BYTES_MIN} bytes are required`);
    }
    this.byKid = new Map(settings.keys.map((k) => [k.kid, k.secret]));
  }

  async mint(
    subject: { role: Actor['role']; id: string; recipientId?: string },
    options: { ttlSeconds?: number; now?: Date } = {},
  ): Promise<string> {
    const kid = this.settings.activeKid ?? this.settings.keys[0]?.kid;
    const secret = kid === undefined ? undefined : this.byKid.get(kid);
    if (kid === undefined || !secret) throw new Error('no active signing key');
    const ttl = Math.min(options.ttlSeconds ?? 3600, TOKEN_TTL_SECONDS_MAX);
    const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
    const parsed = claims.parse({ sub: subject.id, role: subject.role, ...(subject.recipientId ? { recipient_id: subject.recipientId } : {}) });
    return new SignJWT({ role: parsed.role, ...(parsed.recipient_id ? { recipient_id: parsed.recipient_id } : {}) })
      .setProtectedHeader({ alg: 'HS256', kid, typ: 'JWT' })
      .setSubject(parsed.sub)
      .setIssuer(this.settings.issuer)
      .setAudience(this.settings.audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + ttl)
      .setJti(randomUUID())
      .sign(secret);
  }

  /**
   * A token verified once is remembered until its expiry (bounded), so a client reusing its
   * token does not pay for HMAC and claim checks on every request. Expiry and not-before are
   * checked again on every use.
   */
  async verify(token: string): Promise<Actor> {
    const cached = this.verified.get(token);
    if (cached) {
      const now = Date.now();
      if (now < cached.expiresAtMs && now >= cached.notBeforeMs) return cached.actor;
      this.verified.delete(token);
    }
    const { actor, expiresAtMs, notBeforeMs } = await this.verifyNow(token);
    if (this.verified.size >= VERIFIED_TOKENS_MAX) evictOldestHalf(this.verified);
    this.verified.set(token, { actor, expiresAtMs, notBeforeMs });
    return actor;
  }

  private async verifyNow(token: string): Promise<{ actor: Actor; expiresAtMs: number; notBeforeMs: number }> {
    let header;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new TokenRejected('malformed token');
    }
    if (header.alg !== 'HS256') throw new TokenRejected(`algorithm ${String(header.alg)} is not accepted`);
    const secret = typeof header.kid === 'string' ? this.byKid.get(header.kid) : undefined;
    if (!secret) throw new TokenRejected('unknown key id');
    try {
      const { payload } = await jwtVerify(token, secret, {
        algorithms: ['HS256'],
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        requiredClaims: ['sub', 'exp', 'iat'],
        clockTolerance: this.settings.clockToleranceSeconds ?? 5,
      });
      const parsed = claims.safeParse(payload);
      if (!parsed.success) throw new TokenRejected('claims are not valid');
      if (parsed.data.role === 'partner' && !parsed.data.recipient_id) throw new TokenRejected('a partner token must name its recipient');
      if (parsed.data.role !== 'partner' && parsed.data.recipient_id) throw new TokenRejected('only a partner token may name a recipient');
      const tolerance = (this.settings.clockToleranceSeconds ?? 5) * 1000;
      return {
        actor: {
          role: parsed.data.role,
          id: parsed.data.sub,
          ...(parsed.data.recipient_id ? { recipientId: parsed.data.recipient_id } : {}),
          ...(parsed.data.jti ? { tokenId: parsed.data.jti } : {}),
        },
        expiresAtMs: (payload.exp ?? 0) * 1000 + tolerance,
        notBeforeMs: (payload.nbf ?? 0) * 1000 - tolerance,
      };
    } catch (error) {
      if (error instanceof TokenRejected) throw error;
      if (error instanceof errors.JWTExpired) throw new TokenRejected('expired');
      if (error instanceof errors.JWTClaimValidationFailed) throw new TokenRejected(`claim ${error.claim} is not valid`);
      if (error instanceof errors.JWSSignatureVerificationFailed) throw new TokenRejected('bad signature');
      throw new TokenRejected('malformed token');
    }
  }
}

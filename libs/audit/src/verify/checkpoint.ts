import { createHash, createPublicKey, KeyObject, sign, verify } from 'node:crypto';
import { z } from 'zod';
import { fromBase64, toBase64 } from './encoding';

/**
 * Signed checkpoints (signed tree heads) in the C2SP `tlog-checkpoint` / `signed-note` text format,
 * so a regulator can check them with any signed-note tool as well as with `attest verify`:
 *
 *     <origin>\n<tree size>\n<base64 root hash>\ntimestamp <ISO-8601 UTC, ms>\n
 *     \n
 *     — <origin> <base64(key hash[4] || Ed25519 signature[64])>\n
 *
 * The signature covers the body (the first four lines, newline-terminated) exactly. The key hash
 * is the signed-note one: SHA-256(key name || 0x0A || 0x01 || raw public key)[0:4], and its hex
 * is our key id. The key name is the log's origin, so a rotated key gets a new id under the
 * same name. Ed25519 through node:crypto.
 */
export const ORIGIN_PATTERN = /^[\x21-\x7e]{1,200}$/; // printable ASCII, no spaces (a note key name)
const ED25519_ALGORITHM_BYTE = 0x01;
const EM_DASH = '\u2014';

export const checkpointSchema = z.strictObject({
  origin: z.string().regex(ORIGIN_PATTERN),
  treeSize: z.number().int().min(0).max(2 ** 40),
  /** base64 of the 32-byte root hash. */
  rootHash: z.string().length(44),
  /** ISO-8601 UTC with milliseconds; strictly increasing from one checkpoint to the next. */
  timestamp: z.iso.datetime({ offset: false, precision: 3 }),
});
export type Checkpoint = z.output<typeof checkpointSchema>;

export const signedCheckpointSchema = checkpointSchema.extend({
  keyId: z.string().regex(/^[0-9a-f]{8}$/),
  /** base64 of the 64-byte Ed25519 signature over `checkpointBody`. */
  signature: z.string().length(88),
  /** The signed note, verbatim (body, blank line, signature line). */
  note: z.string().max(4_000),
});
export type SignedCheckpoint = z.output<typeof signedCheckpointSchema>;

export const logPublicKeySchema = z.strictObject({
  origin: z.string().regex(ORIGIN_PATTERN),
  keyId: z.string().regex(/^[0-9a-f]{8}$/),
  algorithm: z.literal('Ed25519'),
  /** base64 of the raw 32-byte public key. */
  publicKey: z.string().length(44),
  /** The C2SP signed-note verifier key: `<name>+<hex key hash>+<base64(0x01 || key)>`. */
  verifierKey: z.string().max(400),
});
export type LogPublicKey = z.output<typeof logPublicKeySchema>;

export const checkpointBody = (checkpoint: Checkpoint): string =>
  `${checkpoint.origin}\n${checkpoint.treeSize}\n${checkpoint.rootHash}\ntimestamp ${checkpoint.timestamp}\n`;

export const keyHash = (origin: string, rawPublicKey: Uint8Array): Buffer =>
  createHash('sha256')
    .update(origin)
    .update(Buffer.from([0x0a, ED25519_ALGORITHM_BYTE]))
    .update(rawPublicKey)
    .digest()
    .subarray(0, 4);

export const rawPublicKeyOf = (key: KeyObject): Buffer => {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') throw new Error('not an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url');
};

export const describePublicKey = (origin: string, publicKey: KeyObject): LogPublicKey => {
  const raw = rawPublicKeyOf(publicKey);
  const hash = keyHash(origin, raw);
  return {
    origin,
    keyId: hash.toString('hex'),
    algorithm: 'Ed25519',
    publicKey: toBase64(raw),
    verifierKey: `${origin}+${hash.toString('hex')}+${toBase64(Buffer.concat([Buffer.from([ED25519_ALGORITHM_BYTE]), raw]))}`,
  };
};

export const signCheckpoint = (checkpoint: Checkpoint, privateKey: KeyObject, publicKey: LogPublicKey): SignedCheckpoint => {
  if (publicKey.origin !== checkpoint.origin) throw new Error(`key of ${publicKey.origin} cannot sign for ${checkpoint.origin}`);
  const body = checkpointBody(checkpoint);
  const signature = sign(null, Buffer.from(body, 'utf8'), privateKey);
  const line = `${EM_DASH} ${checkpoint.origin} ${toBase64(Buffer.concat([Buffer.from(publicKey.keyId, 'hex'), signature]))}\n`;
  return { ...checkpoint, keyId: publicKey.keyId, signature: toBase64(signature), note: `${body}\n${line}` };
};

export type CheckpointFailure = 'UNKNOWN_KEY' | 'KEY_INVALID' | 'SIGNATURE_INVALID' | 'NOTE_MISMATCH' | 'ROOT_HASH_INVALID';

export type CheckpointVerdict = { ok: true; key: LogPublicKey } | { ok: false; failure: CheckpointFailure; detail: string };

const publicKeyObject = (key: LogPublicKey): KeyObject | null => {
  const raw = fromBase64(key.publicKey, 32);
  if (!raw) return null;
  try {
    const object = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    return keyHash(key.origin, raw).toString('hex') === key.keyId ? object : null;
  } catch {
    return null;
  }
};

/** Checks the signature with the key named by `keyId` among `keys`, and that `note` says the same. */
export const verifyCheckpoint = (checkpoint: SignedCheckpoint, keys: readonly LogPublicKey[]): CheckpointVerdict => {
  if (!fromBase64(checkpoint.rootHash, 32)) return { ok: false, failure: 'ROOT_HASH_INVALID', detail: 'the root hash is not 32 bytes of base64' };
  const key = keys.find((k) => k.keyId === checkpoint.keyId && k.origin === checkpoint.origin);
  if (!key) return { ok: false, failure: 'UNKNOWN_KEY', detail: `no public key ${checkpoint.keyId} for log ${checkpoint.origin}` };
  const object = publicKeyObject(key);
  if (!object) return { ok: false, failure: 'KEY_INVALID', detail: `public key ${key.keyId} is not a valid Ed25519 key with that key id` };
  const signature = fromBase64(checkpoint.signature, 64);
  const body = checkpointBody(checkpoint);
  if (!signature || !verify(null, Buffer.from(body, 'utf8'), object, signature))
    return { ok: false, failure: 'SIGNATURE_INVALID', detail: `the signature does not match the checkpoint (key ${key.keyId})` };
  const line = `${EM_DASH} ${checkpoint.origin} ${toBase64(Buffer.concat([Buffer.from(key.keyId, 'hex'), signature]))}\n`;
  if (checkpoint.note !== `${body}\n${line}`) return { ok: false, failure: 'NOTE_MISMATCH', detail: 'the signed note text differs from the checkpoint fields' };
  return { ok: true, key };
};

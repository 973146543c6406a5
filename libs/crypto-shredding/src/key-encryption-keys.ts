import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * Key-encryption keys (KEKs) from configuration: `kid:base64url-32-bytes[,kid2:…]`, the first is
 * active. Data keys are stored wrapped (AES-256-GCM, the KEK id bound as associated data);
 * rotating means adding a new first KEK and re-wrapping (`SubjectKeyStore.rewrap`), after which
 * the old one can be dropped. Events are never touched by a rotation.
 */
export interface KeyEncryptionKey {
  kid: string;
  key: Buffer;
}

export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export const parseKeks = (value: string): KeyEncryptionKey[] => {
  const keys = value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)
    .map((part) => {
      const i = part.indexOf(':');
      if (i < 1) throw new Error('each key-encryption key must be written kid:base64url');
      const key = Buffer.from(part.slice(i + 1), 'base64url');
      if (key.length !== KEY_BYTES) throw new Error(`key-encryption key ${part.slice(0, i)} must be ${KEY_BYTES} bytes`);
      return { kid: part.slice(0, i), key };
    });
  if (keys.length === 0) throw new Error('at least one key-encryption key is required');
  return keys;
};

export const generateKek = (kid: string): string => `${kid}:${randomBytes(KEY_BYTES).toString('base64url')}`;

export const wrapKey = (kek: KeyEncryptionKey, dataKey: Buffer, subjectId: string): Buffer => {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', kek.key, iv);
  cipher.setAAD(Buffer.from(`${kek.kid}|${subjectId}`));
  const ct = Buffer.concat([cipher.update(dataKey), cipher.final()]);
  return Buffer.concat([iv, ct, cipher.getAuthTag()]);
};

export const unwrapKey = (kek: KeyEncryptionKey, wrapped: Buffer, subjectId: string): Buffer => {
  const iv = wrapped.subarray(0, IV_BYTES);
  const tag = wrapped.subarray(wrapped.length - TAG_BYTES);
  const ct = wrapped.subarray(IV_BYTES, wrapped.length - TAG_BYTES);
  const decipher = createDecipheriv('aes-256-gcm', kek.key, iv);
  decipher.setAAD(Buffer.from(`${kek.kid}|${subjectId}`));
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(ct), decipher.final()]);
};

import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describePublicKey, LogPublicKey } from './verify/checkpoint';

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: LogPublicKey;
}

export class SigningKeyUnavailable extends Error {
  readonly code = 'SIGNING_KEY_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'SigningKeyUnavailable';
  }
}

/**
 * The checkpoint signing key: an Ed25519 private key in a PKCS#8 PEM file (a mounted secret in
 * production). `createIfMissing` (dev and test only) generates one, readable by its owner only,
 * so that `npm start` works on a fresh clone; production refuses to invent its identity.
 * Rotation: point the path at a new key; the old public key stays registered as an event.
 */
export const loadSigningKey = (path: string, origin: string, options: { createIfMissing: boolean }): SigningKey => {
  if (!existsSync(path)) {
    if (!options.createIfMissing) throw new SigningKeyUnavailable(`no checkpoint signing key at ${path} (ATTEST_LOG_SIGNING_KEY_FILE)`);
    mkdirSync(dirname(path), { recursive: true });
    const { privateKey } = generateKeyPairSync('ed25519');
    // 'wx': never overwrite a key another process created meanwhile.
    try {
      writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error;
    }
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(path));
  } catch (error) {
    throw new SigningKeyUnavailable(`cannot read the checkpoint signing key at ${path}: ${String(error)}`);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new SigningKeyUnavailable(`the key at ${path} is not an Ed25519 key`);
  return { privateKey, publicKey: describePublicKey(origin, createPublicKey(privateKey)) };
};

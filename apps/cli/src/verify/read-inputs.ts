import { readFileSync } from 'node:fs';
import { LogPublicKey, logPublicKeySchema, SignedCheckpoint, signedCheckpointSchema } from '@attest/audit/verify';
import { z } from 'zod';
import { UsageError } from '../cli-exit';

export const readJson = (path: string, what: string): unknown => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new UsageError(`${what} ${path} is not JSON`);
  }
};

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;

/**
 * A kept checkpoint, as the regulator saved it: the checkpoint itself, the API's
 * `{ checkpoint, publicKey }` answer, or a whole earlier bundle.
 */
export const readCheckpoint = (path: string): SignedCheckpoint => {
  const json = readJson(path, 'checkpoint');
  const candidate = isRecord(json) && 'checkpoint' in json ? json['checkpoint'] : json;
  const parsed = signedCheckpointSchema.safeParse(candidate);
  if (!parsed.success) throw new UsageError(`${path} holds no signed checkpoint`);
  return parsed.data;
};

/** Keys published out of band: an array of keys or the API's `{ keys: [...] }`. */
export const readKeys = (path: string): LogPublicKey[] => {
  const json = readJson(path, 'keys');
  const candidate = isRecord(json) && 'keys' in json ? json['keys'] : json;
  const parsed = z.array(logPublicKeySchema).min(1).safeParse(candidate);
  if (!parsed.success) throw new UsageError(`${path} holds no public keys`);
  return parsed.data;
};

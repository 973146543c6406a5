import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { JsonObject, PiiProtector, SealRequest } from '@attest/event-store';
import { SubjectKeyStore } from './subject-key-store';

/** The stored form of an encrypted personal-data section. */
export interface SealedPii {
  enc: 'A256GCM';
  owner: string;
  iv: string;
  ct: string;
  tag: string;
}

export const isSealed = (pii: JsonObject | null): pii is JsonObject & SealedPii =>
  pii !== null && pii['enc'] === 'A256GCM' && typeof pii['ct'] === 'string' && typeof pii['owner'] === 'string';

/** The associated data: ciphertext cannot be moved to another event, stream or type. */
const aad = (eventId: string, streamId: string, type: string) => Buffer.from(`${eventId}|${streamId}|${type}`);

/**
 * Crypto-shredding: an event's `pii` section is encrypted with its owner's data key
 * (AES-256-GCM, fresh 96-bit IV, event id + stream + type as associated data) before it is
 * stored. Once the owner's key is erased the section reads as `{ erased: true }`, never as an
 * error, and the stored ciphertext — which the Merkle log hashes — is unchanged.
 */
export class AesGcmPiiProtector implements PiiProtector {
  constructor(private readonly keys: SubjectKeyStore) {}

  async seal(request: SealRequest): Promise<JsonObject> {
    const key = await this.keys.keyFor(request.owner);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(aad(request.eventId, request.streamId, request.type));
    const ct = Buffer.concat([cipher.update(JSON.stringify(request.pii), 'utf8'), cipher.final()]);
    const sealed: SealedPii = {
      enc: 'A256GCM',
      owner: request.owner,
      iv: iv.toString('base64url'),
      ct: ct.toString('base64url'),
      tag: cipher.getAuthTag().toString('base64url'),
    };
    return { ...sealed };
  }

  async reveal(event: { eventId: string; streamId: string; type: string; pii: JsonObject | null }): Promise<JsonObject | null> {
    if (!isSealed(event.pii)) return event.pii;
    const found = await this.keys.lookup(event.pii.owner);
    if (found.state !== 'active') return { erased: true, owner: event.pii.owner };
    const decipher = createDecipheriv('aes-256-gcm', found.key, Buffer.from(event.pii.iv, 'base64url'));
    decipher.setAAD(aad(event.eventId, event.streamId, event.type));
    decipher.setAuthTag(Buffer.from(event.pii.tag, 'base64url'));
    // A wrong tag throws: tampered ciphertext is an integrity failure, never silently "erased".
    const clear = Buffer.concat([decipher.update(Buffer.from(event.pii.ct, 'base64url')), decipher.final()]);
    return JSON.parse(clear.toString('utf8')) as JsonObject;
  }
}

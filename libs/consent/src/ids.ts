import { createHash } from 'node:crypto';
import { v5 as uuidv5 } from 'uuid';

/**
 * Deterministic event ids. A grant, withdrawal or share carries a client-supplied id (its
 * idempotency key); the event id is derived from it and the subject, so a retried append is
 * recognised by the store as the same append (ADR 0003) instead of writing a second fact.
 */
const CONSENT_NAMESPACE = '0d6c7e52-4f3b-5c55-9a8e-1b2f6a0c9d41';

export const deterministicEventId = (...parts: string[]): string => uuidv5(parts.join('\u001f'), CONSENT_NAMESPACE);

/** SHA-256 of the notice text's UTF-8 bytes, lowercase hex: what a consent must cite. */
export const noticeTextHash = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

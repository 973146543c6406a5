import { createHash } from 'node:crypto';
import { parse as parseUuid, v5 as uuidv5 } from 'uuid';

/**
 * Deterministic event ids. A grant, withdrawal or share carries a client-supplied id (its
 * idempotency key); the event id is derived from it and the subject, so a retried append is
 * recognised by the store as the same append (ADR 0003) instead of writing a second fact.
 */
const CONSENT_NAMESPACE = '0d6c7e52-4f3b-5c55-9a8e-1b2f6a0c9d41';
/**
 * Parsed once, and the name handed over as UTF-8 bytes: given strings, `uuid` re-parses the
 * namespace and encodes the name through `unescape(encodeURIComponent())` on every call, which
 * was ~3% of the event loop on credit-feature reads (one share id per read). Same ids: the
 * spec pins them.
 */
const CONSENT_NAMESPACE_BYTES = parseUuid(CONSENT_NAMESPACE);

export const deterministicEventId = (...parts: string[]): string => uuidv5(Buffer.from(parts.join('\u001f'), 'utf8'), CONSENT_NAMESPACE_BYTES);

/** SHA-256 of the notice text's UTF-8 bytes, lowercase hex: what a consent must cite. */
export const noticeTextHash = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

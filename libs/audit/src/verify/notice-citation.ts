import { createHash } from 'node:crypto';
import { EntryEnvelope } from './entry';

/**
 * How a subject-stream event cites the notice text the person was shown, and how a notice
 * version event carries that text. This is the one place to adjust when the consent module
 * lands (its events carry `data.notice: { noticeId, version, textHash }`; notice versions live on
 * `notice-<noticeId>` streams). The API uses it to collect the cited notices into a bundle, the
 * offline verifier to check each citation against the text.
 */
export interface NoticeCitation {
  noticeId: string;
  version: string;
  /** `sha256:<hex>` or bare hex: SHA-256 of the UTF-8 notice text. */
  textHash: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export const noticeStreamId = (noticeId: string): string => `notice-${noticeId}`;

export const citedNotice = (event: EntryEnvelope): NoticeCitation | null => {
  const notice = event.data['notice'];
  if (!isRecord(notice)) return null;
  const { noticeId, version, textHash } = notice;
  if (typeof noticeId !== 'string' || typeof textHash !== 'string') return null;
  if (typeof version !== 'string' && typeof version !== 'number') return null;
  return { noticeId, version: String(version), textHash };
};

/** True when `event` is the publication of the cited notice version. */
export const isCitedNoticeVersion = (event: EntryEnvelope, citation: NoticeCitation): boolean => {
  const version = event.data['version'];
  return event.streamId === noticeStreamId(citation.noticeId) && (typeof version === 'string' || typeof version === 'number') && String(version) === citation.version;
};

/** The exact text a notice version event published. */
export const noticeText = (event: EntryEnvelope): string | null => {
  const text = event.data['text'];
  return typeof text === 'string' ? text : null;
};

export const noticeTextHash = (text: string): string => `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;

export const textHashMatches = (text: string, cited: string): boolean => {
  const computed = noticeTextHash(text);
  return cited.toLowerCase() === computed || `sha256:${cited.toLowerCase()}` === computed;
};

import { z } from 'zod';
import { defineEvent, EventStore } from '@attest/event-store';
import { noticeTextHash } from '@attest/audit';

/**
 * Test-only stand-ins for the consent module's events (which do not exist yet): a notice
 * version on `notice-<id>`, and a subject's grant, share and withdrawal on `subject-<id>`,
 * citing the notice as `data.notice: { noticeId, version, textHash }`. The lead replaces these
 * with the real grant/share/withdraw flow when consent lands.
 */
const citation = z.strictObject({ noticeId: z.string(), version: z.string(), textHash: z.string() });

export const TestNoticePublished = defineEvent({
  type: 'TestNoticePublished',
  schemaVersion: 1,
  description: 'Test: a notice version was published.',
  data: z.strictObject({ version: z.string(), text: z.string() }),
});
export const TestConsentGranted = defineEvent({
  type: 'TestConsentGranted',
  schemaVersion: 1,
  description: 'Test: a subject granted a consent.',
  data: z.strictObject({ subjectId: z.string(), purpose: z.string(), notice: citation }),
  pii: z.strictObject({ ipAddress: z.string() }),
});
export const TestDataShared = defineEvent({
  type: 'TestDataShared',
  schemaVersion: 1,
  description: 'Test: data was shared under a consent.',
  data: z.strictObject({ recipient: z.string(), purpose: z.string() }),
});
export const TestConsentWithdrawn = defineEvent({
  type: 'TestConsentWithdrawn',
  schemaVersion: 1,
  description: 'Test: a subject withdrew a consent.',
  data: z.strictObject({ purpose: z.string(), notice: citation }),
});

export const AUDIT_TEST_EVENTS = [TestNoticePublished, TestConsentGranted, TestDataShared, TestConsentWithdrawn];

export const NOTICE_TEXT = 'We share your repayment history with Partner One for credit scoring, only if you tick the box.';

/** A notice, a grant, a share and a withdrawal for `subjectId`, plus another subject's noise. */
export const seedConsentTrail = async (store: EventStore, subjectId: string): Promise<void> => {
  const actor = `subject:${subjectId}`;
  const notice = { noticeId: 'privacy', version: '3', textHash: noticeTextHash(NOTICE_TEXT) };
  if ((await store.streamRevision('notice-privacy')) === 'noStream') {
    await store.append('notice-privacy', [{ type: 'TestNoticePublished', data: { version: '2', text: 'older text' } }, { type: 'TestNoticePublished', data: { version: '3', text: NOTICE_TEXT } }], {
      expectedRevision: 'noStream',
      actor: 'operator:publisher',
    });
  }
  const stream = `subject-${subjectId}`;
  await store.append(stream, [{ type: 'TestConsentGranted', data: { subjectId, purpose: 'credit-scoring', notice }, pii: { ipAddress: '10.0.0.1' } }], { expectedRevision: 'noStream', actor });
  await store.append('subject-someone-else', [{ type: 'TestDataShared', data: { recipient: 'partner-2', purpose: 'x' } }], { expectedRevision: 'any', actor: 'system:test' });
  await store.append(stream, [{ type: 'TestDataShared', data: { recipient: 'partner-1', purpose: 'credit-scoring' } }], { expectedRevision: 0n, actor: 'system:share' });
  await store.append(stream, [{ type: 'TestConsentWithdrawn', data: { purpose: 'credit-scoring', notice } }], { expectedRevision: 1n, actor });
};

/**
 * Stream naming the bundle relies on (the consent module owns these streams): a subject's consent
 * trail — consents, withdrawals, data shares, refusals — is `subject-<subjectId>`; notices are
 * `notice-<noticeId>` (see `noticeStreamId` in @attest/audit).
 */
export const subjectStreamId = (subjectId: string): string => `subject-${subjectId}`;

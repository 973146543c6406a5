import { noticeTextHash } from '@attest/consent';
import { CREDIT_NOTICE_TEXT_V1, noticeV1, PURPOSES, RECIPIENTS, validCollection } from '@attest/consent/testing/fixtures';
import { TestApp } from './test-app';

/** The citation of the credit bureau's notice, version 1, as a consent would send it. */
export const CREDIT_NOTICE_V1 = { noticeId: 'credit-sharing', version: 1, textHash: noticeTextHash(CREDIT_NOTICE_TEXT_V1) };

/** Publishes the fixture catalogue (purposes, recipients, the credit notice v1) over HTTP as an operator. */
export const publishCatalogue = async (t: TestApp): Promise<void> => {
  const operator = await t.bearer('operator', 'ops-1');
  const expectOk = (status: number, what: string) => {
    if (status >= 300) throw new Error(`${what}: ${status}`);
  };
  for (const p of PURPOSES)
    expectOk(
      (await t.http().put(`/v1/purposes/${p.purposeId}`).set('authorization', operator).send({ description: p.description, sensitive: p.sensitive, compatibleWith: p.compatibleWith.filter((id: string) => id !== 'credit-limit-decision') })).status,
      `purpose ${p.purposeId}`,
    );
  expectOk(
    (await t.http().put('/v1/purposes/credit-scoring').set('authorization', operator).send({ description: 'Compute a credit score from payment history', sensitive: true, compatibleWith: ['credit-limit-decision'] })).status,
    'credit-scoring',
  );
  for (const r of RECIPIENTS)
    expectOk((await t.http().put(`/v1/recipients/${r.recipientId}`).set('authorization', operator).send({ name: r.name, contact: r.contact, jurisdiction: r.jurisdiction })).status, `recipient ${r.recipientId}`);
  const { noticeId, ...body } = noticeV1;
  expectOk((await t.http().post(`/v1/notices/${noticeId}/versions`).set('authorization', operator).send(body)).status, 'notice');
};

/** A valid, separate, explicit credit-scoring consent for the bureau. */
export const creditConsentBody = (consentId = 'c1') => ({
  consentId,
  purposeId: 'credit-scoring',
  recipientId: 'bureau',
  notice: CREDIT_NOTICE_V1,
  language: 'en',
  collection: validCollection(),
});

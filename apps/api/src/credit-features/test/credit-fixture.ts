import { noticeTextHash } from '@attest/consent';
import { CREDIT_NOTICE_TEXT_V1, noticeV1, PURPOSES, RECIPIENTS, validCollection } from '@attest/consent/testing/fixtures';
import { LedgerFixture } from '../../ledger/test/ledger-fixture';

/** The credit-features e2e specs' shared steps, over a ledger app (`app()` once it is started). */
export const creditHelpers = (app: () => LedgerFixture) => {
  const V1 = { noticeId: 'credit-sharing', version: 1, textHash: noticeTextHash(CREDIT_NOTICE_TEXT_V1) };
  const partner = (recipientId: string) => app().bearer('partner', `${recipientId}-svc`, recipientId);
  return {
    /** Purposes (credit-scoring compatible with credit-limit-decision), recipients and notice v1, as an operator. */
    publishCatalogue: async () => {
      const t = app();
      const operator = await t.bearer('operator', 'ops-1');
      for (const p of PURPOSES.filter((p) => p.purposeId !== 'credit-scoring'))
        expect((await t.http().put(`/v1/purposes/${p.purposeId}`).set('authorization', operator).send({ description: p.description, sensitive: p.sensitive, compatibleWith: [] })).status).toBe(200);
      const scoring = PURPOSES.find((p) => p.purposeId === 'credit-scoring');
      expect(
        (await t.http().put('/v1/purposes/credit-scoring').set('authorization', operator).send({ description: scoring?.description, sensitive: true, compatibleWith: ['credit-limit-decision'] }))
          .status,
      ).toBe(200);
      for (const r of RECIPIENTS)
        expect((await t.http().put(`/v1/recipients/${r.recipientId}`).set('authorization', operator).send({ name: r.name, contact: r.contact, jurisdiction: r.jurisdiction })).status).toBe(200);
      const { noticeId, ...body } = noticeV1;
      expect((await t.http().post(`/v1/notices/${noticeId}/versions`).set('authorization', operator).send(body)).status).toBe(201);
    },
    read: async (subjectId: string, query: Record<string, string>, recipientId = 'bureau') =>
      app().http().get(`/v1/credit-features/${subjectId}`).query(query).set('authorization', await partner(recipientId)),
    grant: async (subjectId: string, consentId: string, recipientId = 'bureau') => {
      const response = await app()
        .http()
        .post(`/v1/subjects/${subjectId}/consents`)
        .set('authorization', await app().bearer('subject', subjectId))
        .send({ consentId, purposeId: 'credit-scoring', recipientId, notice: V1, language: 'en', collection: validCollection() });
      expect(response.status).toBe(201);
    },
    withdraw: async (subjectId: string, withdrawalId: string, consentId: string) => {
      const response = await app().http().post(`/v1/subjects/${subjectId}/consents/withdraw`).set('authorization', await app().bearer('subject', subjectId)).send({ withdrawalId, consentId });
      expect(response.status).toBe(200);
    },
    tip: async (payer: string, payee: string, value: string) => {
      const response = await app().tip(payer, payee, value);
      expect(response.status).toBe(201);
    },
    /** tipsSentCount90d of the first currency, or null. */
    sentCount: (body: { currencies: Array<{ features: Record<string, { value: string | null }> }> }) => body.currencies[0]?.features['tipsSentCount90d']?.value ?? null,
  };
};

import { spec } from '@attest/decider/testing';
import { noticeTextHash } from './ids';
import { CatalogueState } from './catalogue';
import { GrantConsent, RequestDataShare, subjectDecider, SubjectStreamEvent, WithdrawConsent } from './subject.decider';
import { CREDIT_NOTICE_TEXT_V1, fixtureCatalogue, noticePublished, noticeV2, validCollection } from './testing/fixtures';

const T0 = '2026-02-01T10:00:00.000Z';
const T1 = '2026-02-01T11:00:00.000Z';
const T2 = '2026-02-02T10:00:00.000Z';
const catalogue = fixtureCatalogue();
const catalogueV2 = fixtureCatalogue([noticePublished(noticeV2, '2026-02-01T12:00:00.000Z')]);
const V1 = { noticeId: 'credit-sharing', version: 1, textHash: noticeTextHash(CREDIT_NOTICE_TEXT_V1) };

const grantCommand = (overrides: Partial<GrantConsent> = {}): GrantConsent => ({
  type: 'GrantConsent',
  subjectId: 'u1',
  consentId: 'c1',
  purposeId: 'credit-scoring',
  recipientId: 'bureau',
  notice: V1,
  language: 'en',
  collection: validCollection(),
  expiresAt: null,
  evidence: { ipPrefix: '203.0.113.0/24', userAgent: 'PayApp/7.1 (Android 14)' },
  now: T0,
  catalogue,
  ...overrides,
});

/** The events a grant records, produced by the decider itself so givens are always realistic. */
const granted = (overrides: Partial<GrantConsent> = {}): SubjectStreamEvent => {
  const decision = subjectDecider.decide(grantCommand(overrides), subjectDecider.initialState());
  if (decision.kind !== 'accepted' || !decision.events[0]) throw new Error('fixture grant was refused');
  return decision.events[0];
};

const shareCommand = (overrides: Partial<RequestDataShare> = {}): RequestDataShare => ({
  type: 'RequestDataShare',
  subjectId: 'u1',
  shareId: 's1',
  recipientId: 'bureau',
  purposeId: 'credit-scoring',
  dataCategories: ['credit-score'],
  collectedFor: null,
  now: T1,
  catalogue,
  ...overrides,
});

const withdrawCommand = (overrides: Partial<WithdrawConsent> = {}): WithdrawConsent => ({
  type: 'WithdrawConsent',
  subjectId: 'u1',
  withdrawalId: 'w1',
  target: { scope: 'consent', consentId: 'c1' },
  now: T1,
  ...overrides,
});

const given = (events: SubjectStreamEvent[]) => spec(subjectDecider).given(events);
const eventsAfter = (events: SubjectStreamEvent[], command: GrantConsent | RequestDataShare | WithdrawConsent): SubjectStreamEvent[] => {
  const decision = given(events).when(command).decision;
  return [...events, ...decision.events];
};
const recordedReasons = (events: SubjectStreamEvent[]) => {
  expect(events).toHaveLength(1);
  const [event] = events;
  if (event?.type !== 'ConsentAttemptRejected') throw new Error(`expected a recorded ConsentAttemptRejected, got ${event?.type}`);
  return event.data.reasons;
};

describe('consent: grant', () => {
  it('records one granular decision with the notice version, its hash, the presentation and the evidence', () => {
    const [event] = given([]).when(grantCommand()).thenAccepts();
    expect(event).toMatchObject({
      type: 'ConsentGranted',
      data: {
        consentId: 'c1',
        subjectId: 'u1',
        purposeId: 'credit-scoring',
        recipientId: 'bureau',
        notice: V1,
        language: 'en',
        dataCategories: ['credit-score', 'transactions'],
        sensitive: true,
        collection: { checkboxDefault: 'unchecked', action: { kind: 'checkbox-tick', dedicated: true }, alsoAccepted: [] },
        grantedAt: T0,
        expiresAt: null,
      },
      pii: { ipPrefix: '203.0.113.0/24', userAgent: 'PayApp/7.1 (Android 14)' },
    });
  });

  it('is idempotent by consent id: the same decision again records nothing', () => {
    given([granted()]).when(grantCommand()).then([]);
  });

  it('refuses a consent id reused for another decision, recording nothing', () => {
    given([granted()]).when(grantCommand({ purposeId: 'marketing' })).thenRejects('IDEMPOTENCY_KEY_REUSED');
  });

  it('the 2018 annual-bill case: a pre-ticked box bundled with viewing the bill is refused and recorded as a rejected attempt', () => {
    const failure = given([])
      .when(
        grantCommand({
          consentId: 'annual-report-2018',
          recipientId: 'bureau',
          collection: validCollection({
            surface: 'annual-spending-report',
            checkboxDefault: 'checked',
            action: { kind: 'button-click', dedicated: false },
            alsoAccepted: [
              { kind: 'service-action', reference: 'view-annual-bill' },
              { kind: 'agreement', reference: 'credit-bureau-service-agreement' },
            ],
          }),
        }),
      )
      .thenRejects('PRE_TICKED_CONSENT', (events) => {
        expect(recordedReasons(events)).toEqual(['PRE_TICKED_CONSENT', 'BUNDLED_CONSENT', 'SEPARATE_CONSENT_REQUIRED']);
        expect(events[0]?.data).toMatchObject({ attemptId: 'annual-report-2018', notice: V1, citedTextHash: V1.textHash });
      });
    expect(failure.context).toEqual({ reasons: 'PRE_TICKED_CONSENT,BUNDLED_CONSENT,SEPARATE_CONSENT_REQUIRED' });
  });

  it('refuses a pre-ticked box alone (Planet49) and records it', () => {
    given([])
      .when(grantCommand({ recipientId: null, purposeId: 'marketing', collection: validCollection({ checkboxDefault: 'checked' }) }))
      .thenRejects('PRE_TICKED_CONSENT', (events) => expect(recordedReasons(events)).toEqual(['PRE_TICKED_CONSENT']));
  });

  it('refuses consent bundled with an unrelated agreement and records it', () => {
    given([])
      .when(
        grantCommand({
          recipientId: null,
          purposeId: 'marketing',
          collection: validCollection({ alsoAccepted: [{ kind: 'agreement', reference: 'terms-of-service-v9' }] }),
        }),
      )
      .thenRejects('BUNDLED_CONSENT', (events) => expect(recordedReasons(events)).toEqual(['BUNDLED_CONSENT']));
  });

  it('accepts a non-sensitive, first-party consent given together with other consents (no unrelated terms)', () => {
    given([])
      .when(
        grantCommand({
          recipientId: null,
          purposeId: 'marketing',
          collection: validCollection({ action: { kind: 'button-click', dedicated: false }, alsoAccepted: [{ kind: 'consent', reference: 'service-improvement' }] }),
        }),
      )
      .thenAccepts();
  });

  it('refuses a hash that does not match the cited notice version and records what was cited', () => {
    const wrong = noticeTextHash('a different text');
    given([])
      .when(grantCommand({ notice: { ...V1, textHash: wrong } }))
      .thenRejects('NOTICE_HASH_MISMATCH', (events) => {
        expect(recordedReasons(events)).toEqual(['NOTICE_HASH_MISMATCH']);
        expect(events[0]?.data).toMatchObject({ notice: V1, citedTextHash: wrong });
      });
  });

  it('refuses a sensitive purpose without a separate, explicit action and records it', () => {
    given([])
      .when(grantCommand({ recipientId: null, collection: validCollection({ action: { kind: 'toggle-on', dedicated: false } }) }))
      .thenRejects('SEPARATE_CONSENT_REQUIRED', (events) => expect(recordedReasons(events)).toEqual(['SEPARATE_CONSENT_REQUIRED']));
  });

  it('refuses a third-party share accepted together with other consents and records it', () => {
    given([])
      .when(grantCommand({ purposeId: 'marketing', collection: validCollection({ alsoAccepted: [{ kind: 'consent', reference: 'service-improvement' }] }) }))
      .thenRejects('SEPARATE_CONSENT_REQUIRED', (events) => expect(recordedReasons(events)).toEqual(['SEPARATE_CONSENT_REQUIRED']));
  });

  it('refuses a recipient the notice does not name (PIPL Art. 23) and records it', () => {
    given([])
      .when(grantCommand({ recipientId: 'travel' }))
      .thenRejects('RECIPIENT_NOT_IN_NOTICE', (events) => expect(recordedReasons(events)).toEqual(['RECIPIENT_NOT_IN_NOTICE']));
  });

  it('refuses a purpose the notice does not cover and records it', () => {
    given([])
      .when(grantCommand({ recipientId: null, purposeId: 'social-ranking' }))
      .thenRejects('PURPOSE_NOT_IN_NOTICE', (events) => expect(recordedReasons(events)).toEqual(['PURPOSE_NOT_IN_NOTICE']));
  });

  it('answers a retried refused attempt with the same refusal, recording nothing more', () => {
    const attempt = grantCommand({ collection: validCollection({ checkboxDefault: 'checked' }) });
    const history = eventsAfter([], attempt);
    expect(history).toHaveLength(1);
    given(history).when(attempt).thenRejects('PRE_TICKED_CONSENT', []);
  });

  it.each([
    ['an unknown notice', { notice: { ...V1, noticeId: 'nope' } }, 'NOTICE_NOT_FOUND'],
    ['an unknown notice version', { notice: { ...V1, version: 9 } }, 'NOTICE_NOT_FOUND'],
    ['an unknown purpose', { purposeId: 'nope' }, 'PURPOSE_NOT_FOUND'],
    ['an unknown recipient', { recipientId: 'nope' }, 'RECIPIENT_NOT_FOUND'],
    ['a language other than the notice version', { language: 'zh' }, 'VALIDATION_FAILED'],
    ['an expiry in the past', { expiresAt: '2020-01-01T00:00:00.000Z' }, 'VALIDATION_FAILED'],
  ] as const)('refuses %s without recording anything (nothing valid to cite)', (_, overrides, code) => {
    given([]).when(grantCommand(overrides)).thenRejects(code, []);
  });
});

describe('consent: withdraw', () => {
  const c1 = granted();
  const c2 = granted({ consentId: 'c2', purposeId: 'credit-limit-decision' });
  const c3 = granted({ consentId: 'c3', purposeId: 'marketing', recipientId: null });

  it('withdraws one consent immediately, citing its notice version', () => {
    given([c1, c2])
      .when(withdrawCommand())
      .then([
        {
          type: 'ConsentWithdrawn',
          eventId: expect.any(String) as unknown as string,
          data: { withdrawalId: 'w1', consentId: 'c1', subjectId: 'u1', purposeId: 'credit-scoring', recipientId: 'bureau', notice: V1, scope: 'consent', withdrawnAt: T1 },
        },
      ]);
  });

  it('withdraws everything in one call, atomically, skipping what is already withdrawn', () => {
    const history = eventsAfter([c1, c2, c3], withdrawCommand({ withdrawalId: 'w0', target: { scope: 'consent', consentId: 'c2' } }));
    const events = given(history).when(withdrawCommand({ target: { scope: 'all' } })).thenAccepts();
    expect(events.map((e) => [e.type, e.data.subjectId, 'consentId' in e.data ? e.data.consentId : null])).toEqual([
      ['ConsentWithdrawn', 'u1', 'c1'],
      ['ConsentWithdrawn', 'u1', 'c3'],
    ]);
  });

  it('withdraws by purpose, for every recipient of it', () => {
    const other = granted({ consentId: 'c4', recipientId: 'lender' });
    const events = given([c1, other, c3]).when(withdrawCommand({ target: { scope: 'purpose', purposeId: 'credit-scoring' } })).thenAccepts();
    expect(events.map((e) => ('consentId' in e.data ? e.data.consentId : null))).toEqual(['c1', 'c4']);
  });

  it('is idempotent by withdrawal id and by state', () => {
    const history = eventsAfter([c1], withdrawCommand());
    given(history).when(withdrawCommand()).then([]);
    given(history).when(withdrawCommand({ withdrawalId: 'w2' })).then([]);
  });

  it('refuses an unknown consent id without recording anything', () => {
    given([c1]).when(withdrawCommand({ target: { scope: 'consent', consentId: 'nope' } })).thenRejects('CONSENT_NOT_FOUND', []);
  });

  it('notifies every recipient that received data under the withdrawn consent; past shares stay recorded', () => {
    const history = eventsAfter([c1, c3], shareCommand());
    const events = given(history).when(withdrawCommand({ target: { scope: 'all' } })).thenAccepts();
    expect(events.map((e) => e.type)).toEqual(['ConsentWithdrawn', 'WithdrawalNotificationIssued', 'ConsentWithdrawn']);
    expect(events[1]?.data).toMatchObject({ consentId: 'c1', recipientId: 'bureau', sharesUnderConsent: 1, notice: V1 });
    expect(history.filter((e) => e.type === 'DataShared')).toHaveLength(1);
  });
});

describe('data share gate', () => {
  const c1 = granted();

  it('shares under a valid consent, citing the consent event it relies on', () => {
    const [event] = given([c1]).when(shareCommand()).thenAccepts();
    expect(event).toMatchObject({
      type: 'DataShared',
      data: { shareId: 's1', recipientId: 'bureau', purposeId: 'credit-scoring', consentId: 'c1', consentEventId: c1.eventId, notice: V1, sharedAt: T1 },
    });
  });

  it('covers a compatible purpose: credit scoring consent serves a credit-limit decision', () => {
    const [event] = given([c1]).when(shareCommand({ purposeId: 'credit-limit-decision' })).thenAccepts();
    expect(event?.data).toMatchObject({ consentId: 'c1', purposeId: 'credit-limit-decision' });
  });

  const refusedWith = (reason: string, events: SubjectStreamEvent[], command: RequestDataShare): void => {
    given(events)
      .when(command)
      .thenRejects(reason, (recorded) => {
        expect(recorded).toHaveLength(1);
        expect(recorded[0]).toMatchObject({ type: 'DataShareRefused', data: { reason, shareId: command.shareId, recipientId: command.recipientId } });
      });
  };

  it('NO_CONSENT when nothing was consented', () => refusedWith('NO_CONSENT', [], shareCommand()));

  it('NO_CONSENT for a data category no notice version covers', () => refusedWith('NO_CONSENT', [c1], shareCommand({ dataCategories: ['location'] })));

  it('WITHDRAWN after the consent was withdrawn', () => refusedWith('WITHDRAWN', eventsAfter([c1], withdrawCommand()), shareCommand({ now: T2 })));

  it('EXPIRED from the expiry instant on', () => {
    const expiring = granted({ expiresAt: T1 });
    given([expiring]).when(shareCommand({ now: '2026-02-01T10:59:59.999Z' })).thenAccepts();
    refusedWith('EXPIRED', [expiring], shareCommand({ now: T1 }));
  });

  it('PURPOSE_INCOMPATIBLE: credit scoring never serves social ranking or marketing', () => {
    refusedWith('PURPOSE_INCOMPATIBLE', [c1], shareCommand({ purposeId: 'social-ranking' }));
    refusedWith('PURPOSE_INCOMPATIBLE', [c1], shareCommand({ purposeId: 'marketing' }));
  });

  it('PURPOSE_INCOMPATIBLE for data collected for credit scoring, whatever the subject consented to', () => {
    const marketing = granted({ consentId: 'm1', purposeId: 'marketing' });
    given([marketing]).when(shareCommand({ purposeId: 'marketing' })).thenAccepts();
    refusedWith('PURPOSE_INCOMPATIBLE', [marketing], shareCommand({ purposeId: 'marketing', collectedFor: 'credit-scoring' }));
    given([c1]).when(shareCommand({ purposeId: 'credit-limit-decision', collectedFor: 'credit-scoring' })).thenAccepts();
  });

  it('RECIPIENT_NOT_COVERED when the consent names another recipient', () => refusedWith('RECIPIENT_NOT_COVERED', [c1], shareCommand({ recipientId: 'lender' })));

  describe('with several consents to the recipient, the newest one that covers the use decides', () => {
    const c2 = granted({ consentId: 'c2' });
    const withdrawn = (consentId: string, events: SubjectStreamEvent[]) => eventsAfter(events, withdrawCommand({ withdrawalId: `w-${consentId}`, target: { scope: 'consent', consentId } }));

    it('two covering consents: the share cites the newer', () => {
      const [event] = given([c1, c2]).when(shareCommand({ now: T2 })).thenAccepts();
      expect(event?.data).toMatchObject({ consentId: 'c2' });
    });

    it('the newer withdrawn, the older still in force: the share cites the older', () => {
      const [event] = given(withdrawn('c2', [c1, c2])).when(shareCommand({ now: T2 })).thenAccepts();
      expect(event?.data).toMatchObject({ consentId: 'c1' });
    });

    it('none covers: the reason is that of the newest candidate', () => {
      const expiring = granted({ consentId: 'c2', expiresAt: T1 });
      refusedWith('EXPIRED', withdrawn('c1', [c1, expiring]), shareCommand({ now: T2 }));
      refusedWith('WITHDRAWN', withdrawn('c1', [expiring, c1]), shareCommand({ now: T2 }));
    });
  });

  describe('after a notice change (PIPL Art. 14)', () => {
    const lender = granted({ consentId: 'c-lender', recipientId: 'lender' });

    it('NOTICE_OUTDATED for a recipient the new version dropped', () =>
      refusedWith('NOTICE_OUTDATED', [lender], shareCommand({ recipientId: 'lender', catalogue: catalogueV2 })));

    it('NOTICE_OUTDATED for a data category only the new version covers', () =>
      refusedWith('NOTICE_OUTDATED', [c1], shareCommand({ dataCategories: ['contacts'], catalogue: catalogueV2 })));

    it('an unchanged scope stays covered by the older consent', () => {
      given([c1]).when(shareCommand({ dataCategories: ['credit-score', 'transactions'], catalogue: catalogueV2 })).thenAccepts();
    });

    it('a new consent under the new version covers the changed scope again', () => {
      const v2Hash = noticeTextHash(noticeV2.text);
      const again = granted({ consentId: 'c-v2', notice: { noticeId: 'credit-sharing', version: 2, textHash: v2Hash }, catalogue: catalogueV2, now: T1 });
      const [event] = given([c1, again]).when(shareCommand({ dataCategories: ['contacts'], catalogue: catalogueV2, now: T2 })).thenAccepts();
      expect(event?.data).toMatchObject({ consentId: 'c-v2', notice: { version: 2 } });
    });
  });

  it('is idempotent by share id: a repeated request records nothing and answers the same', () => {
    const history = eventsAfter([c1], shareCommand());
    given(history).when(shareCommand()).then([]);
    const refused = eventsAfter([], shareCommand({ shareId: 's9' }));
    given(refused).when(shareCommand({ shareId: 's9' })).thenRejects('NO_CONSENT', []);
  });

  it('remembers every share of a long history, and recording one never changes an earlier state', () => {
    // Every partner read is a share, so a subject's stream grows with each read for years.
    let state = subjectDecider.evolve(subjectDecider.initialState(), c1);
    const states = [state];
    for (let i = 0; i < 2_000; i++) {
      const [shared] = subjectDecider.decide(shareCommand({ shareId: `read-${i}` }), state).events;
      if (shared?.type !== 'DataShared') throw new Error(`read ${i} was not shared`);
      state = subjectDecider.evolve(state, shared);
      states.push(state);
    }
    expect(state.shares.size).toBe(2_000);
    expect(state.consents.get('c1')?.sharesCount).toBe(2_000);
    // A retry of any earlier read is answered from the history and records nothing.
    for (const i of [0, 999, 1_999]) expect(subjectDecider.decide(shareCommand({ shareId: `read-${i}` }), state)).toMatchObject({ kind: 'accepted', events: [] });
    // The same share id for another request is refused, however old it is.
    expect(subjectDecider.decide(shareCommand({ shareId: 'read-0', purposeId: 'credit-limit-decision' }), state)).toMatchObject({ kind: 'rejected', failure: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    // Structural sharing must not leak: the state before read 1,000 knows nothing of it.
    expect(states[1_000]?.shares.size).toBe(1_000);
    expect(states[1_000]?.shares.has(`bureau/read-1000`)).toBe(false);
    expect(states[1_001]?.shares.has(`bureau/read-1000`)).toBe(true);
  });

  it('refuses unknown purposes and recipients without recording (bad input, not a share attempt)', () => {
    given([c1]).when(shareCommand({ purposeId: 'nope' })).thenRejects('PURPOSE_NOT_FOUND', []);
    given([c1]).when(shareCommand({ recipientId: 'nope' })).thenRejects('RECIPIENT_NOT_FOUND', []);
  });

  it('never shares after a withdrawal it could see: every later request is refused', () => {
    let history = eventsAfter([c1], shareCommand());
    history = eventsAfter(history, withdrawCommand());
    for (let i = 0; i < 5; i++) history = eventsAfter(history, shareCommand({ shareId: `after-${i}`, now: T2 }));
    const afterWithdrawal = history.slice(history.findIndex((e) => e.type === 'ConsentWithdrawn'));
    expect(afterWithdrawal.filter((e) => e.type === 'DataShared')).toEqual([]);
  });
});

// Keeps the fixture honest: the catalogue a spec builds is the one the decider reads.
test('fixture catalogue has the notice version the specs cite', () => {
  const c: CatalogueState = catalogue;
  expect(c.notices.get('credit-sharing')?.[0]?.textHash).toBe(V1.textHash);
});

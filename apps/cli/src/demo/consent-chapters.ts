import { noticeTextHash, subjectStream } from '@attest/consent';
import { noticeV1, PURPOSES, RECIPIENTS, validCollection } from '@attest/consent/testing/fixtures';
import { DemoChapter, DemoContext, streamEvents } from './demo-context';
import { pick, pickString, pickStrings } from './demo-http';
import { StepRecorder } from './demo-step';
import { tip } from './ledger-chapters';

/** The subject of the consent half of the story: Jun, whose payments the bureau wants. */
const SUBJECT = 'jun';
const CONSENT_ID = 'credit-bureau-2026';
const NOTICE = { noticeId: noticeV1.noticeId, version: noticeV1.version, textHash: noticeTextHash(noticeV1.text) };

const grant = async (context: DemoContext, body: Record<string, unknown>) =>
  context.http.call('POST', `/v1/subjects/${SUBJECT}/consents`, await context.token('subject', SUBJECT), {
    consentId: CONSENT_ID,
    purposeId: 'credit-scoring',
    recipientId: 'bureau',
    notice: NOTICE,
    language: 'en',
    collection: validCollection(),
    ...body,
  });

const creditFeatures = async (context: DemoContext, purpose: string, shareId: string) =>
  context.http.call('GET', `/v1/credit-features/${SUBJECT}?purpose=${purpose}&shareId=${shareId}`, await context.token('partner', 'bureau-svc', 'bureau'));

const lastEventOf = async (context: DemoContext) => (await streamEvents(context.store, subjectStream(SUBJECT))).at(-1);

const noticePublished: DemoChapter = {
  id: 'notice-published',
  title: "The credit bureau's notice is published",
  run: async (context) => {
    const step = new StepRecorder('notice-published', "The credit bureau's notice is published");
    const operator = await context.token('operator', 'ops-1');
    const statuses: number[] = [];
    // Credit scoring last: it names credit-limit-decision as compatible, which must exist first.
    const ordered = [...PURPOSES.filter((p) => p.purposeId !== 'credit-scoring'), ...PURPOSES.filter((p) => p.purposeId === 'credit-scoring')];
    for (const p of ordered) {
      // Credit data may serve a credit-limit decision, never ranking people socially.
      const compatibleWith = p.purposeId === 'credit-scoring' ? ['credit-limit-decision'] : [];
      statuses.push((await context.http.call('PUT', `/v1/purposes/${p.purposeId}`, operator, { description: p.description, sensitive: p.sensitive, compatibleWith })).status);
    }
    for (const r of RECIPIENTS) statuses.push((await context.http.call('PUT', `/v1/recipients/${r.recipientId}`, operator, { name: r.name, contact: r.contact, jurisdiction: r.jurisdiction })).status);
    const { noticeId, ...notice } = noticeV1;
    const published = await context.http.call('POST', `/v1/notices/${noticeId}/versions`, operator, notice);
    step.expect('catalogueStatuses', [...new Set(statuses.map(String))], ['200']);
    step.expect('noticeStatus', published.status, 201);
    step.fact('textHash', NOTICE.textHash);
    step.say('The operator defines the purposes and the recipients, then publishes the exact text users will see; consents cite its hash.');
    step.table(
      ['purpose', 'sensitive', 'may also serve'],
      PURPOSES.map((p) => [p.purposeId, String(p.sensitive), p.purposeId === 'credit-scoring' ? 'credit-limit-decision' : '-']),
    );
    step.say(`Notice ${noticeId} v${noticeV1.version}: "${noticeV1.text}"`);
    return step.outcome();
  },
};

const preTickedRefused: DemoChapter = {
  id: 'pre-ticked-refused',
  title: 'A pre-ticked box bundled with the annual bill is refused, and recorded',
  run: async (context) => {
    const step = new StepRecorder('pre-ticked-refused', 'A pre-ticked box bundled with the annual bill is refused, and recorded');
    step.say('The 2018 screen: viewing the annual spending report, with a tiny box already ticked that signs Jun up to the bureau.');
    const answer = await grant(context, {
      consentId: 'annual-bill-box',
      collection: validCollection({
        surface: 'annual-spending-report',
        checkboxDefault: 'checked',
        action: { kind: 'button-click', dedicated: false },
        alsoAccepted: [{ kind: 'service-action', reference: 'view-annual-bill' }],
      }),
    });
    step.expect('status', answer.status, 422);
    step.expect('code', pickString(answer.body, 'code'), 'PRE_TICKED_CONSENT');
    step.expect('reasons', pickString(answer.body, 'reasons'), 'PRE_TICKED_CONSENT,BUNDLED_CONSENT,SEPARATE_CONSENT_REQUIRED');
    const recorded = await lastEventOf(context);
    step.expect('recordedAs', recorded?.type ?? null, 'ConsentAttemptRejected');
    step.say(`Refused (${answer.status}): a pre-ticked box is not consent, it was bundled with viewing a bill, and it was not a separate act. The attempt itself is kept as evidence (${recorded?.type}).`);
    return step.outcome();
  },
};

const consentGranted: DemoChapter = {
  id: 'consent-granted',
  title: 'Jun gives a valid, separate consent',
  run: async (context) => {
    const step = new StepRecorder('consent-granted', 'Jun gives a valid, separate consent');
    const answer = await grant(context, {});
    step.expect('status', answer.status, 201);
    step.expect('state', pickString(answer.body, 'receipt.state'), 'active');
    step.expect('consentType', pickString(answer.body, 'receipt.services.0.purposes.0.consentType'), 'EXPLICIT');
    step.say('On the privacy screen, an unticked box of its own, ticked by Jun: credit scoring, by Sesame Bureau only. He gets a Kantara/ISO 27560 receipt.');
    // Two more tips, now inside the consent window: only these may feed credit features.
    const later = [await tip(context, 'jun', 'mei', '30.00'), await tip(context, 'jun', 'lan', '12.50')];
    step.expect('laterTipStatuses', later.map((a) => String(a.status)), ['201', '201']);
    step.say('Jun keeps tipping: 30.00 to Mei and 12.50 to Lan, after the consent.');
    return step.outcome();
  },
};

const featuresShared: DemoChapter = {
  id: 'features-shared',
  title: 'The bureau receives credit features',
  run: async (context) => {
    const step = new StepRecorder('features-shared', 'The bureau receives credit features');
    const answer = await creditFeatures(context, 'credit-scoring', 'share-1');
    step.expect('status', answer.status, 200);
    const features = pick(answer.body, 'currencies.0.features');
    // A few of the twenty features: enough to see what the window lets through.
    const shown = ['tipsSentCount90d', 'tipsSentVolume90d', 'friendRequestFeesPaidCount90d', 'distinctCounterparties90d'];
    const rows = shown.map((name) => [name, pickString(features, `${name}.value`) ?? '-', pickString(features, `${name}.unit`) ?? '']);
    step.table(['feature', 'value', 'unit'], rows);
    step.expect('tipsSentCount90d', pickString(features, 'tipsSentCount90d.value'), '2');
    step.expect('tipsSentVolume90d', pickString(features, 'tipsSentVolume90d.value'), '42.50');
    step.expect('recordedAs', (await lastEventOf(context))?.type ?? null, 'DataShared');
    step.say('The bureau asks as itself, for credit scoring. Only what happened inside the consent window counts (the 20.00 tip and the friend-request fees before it do not), and the read is recorded as a DataShared event.');
    return step.outcome();
  },
};

const socialRankingRefused: DemoChapter = {
  id: 'social-ranking-refused',
  title: 'A request for social ranking is refused',
  run: async (context) => {
    const step = new StepRecorder('social-ranking-refused', 'A request for social ranking is refused');
    const answer = await creditFeatures(context, 'social-ranking', 'rank-1');
    step.expect('status', answer.status, 403);
    step.expect('code', pickString(answer.body, 'code'), 'PURPOSE_INCOMPATIBLE');
    step.expect('recordedAs', (await lastEventOf(context))?.type ?? null, 'DataShareRefused');
    step.say('The 2016 use: credit data to decide who may comment. Social ranking is not compatible with credit scoring, whatever was consented: refused (403) and recorded.');
    return step.outcome();
  },
};

const withdrawn: DemoChapter = {
  id: 'consent-withdrawn',
  title: 'Jun withdraws',
  run: async (context) => {
    const step = new StepRecorder('consent-withdrawn', 'Jun withdraws');
    const answer = await context.http.call('POST', `/v1/subjects/${SUBJECT}/consents/withdraw`, await context.token('subject', SUBJECT), { withdrawalId: 'w-1', consentId: CONSENT_ID });
    step.expect('status', answer.status, 200);
    step.expect('withdrawn', pickStrings(answer.body, 'withdrawn'), [CONSENT_ID]);
    step.expect('notifiedRecipients', pickStrings(answer.body, 'notifiedRecipients'), ['bureau']);
    step.say('One call, as easy as giving. Past processing stays lawful; from now on nothing is shared.');
    return step.outcome();
  },
};

const shareRefusedAfterWithdrawal: DemoChapter = {
  id: 'share-refused-after-withdrawal',
  title: 'The next share is refused',
  run: async (context) => {
    const step = new StepRecorder('share-refused-after-withdrawal', 'The next share is refused');
    const answer = await creditFeatures(context, 'credit-scoring', 'share-2');
    step.expect('status', answer.status, 403);
    step.expect('code', pickString(answer.body, 'code'), 'WITHDRAWN');
    step.expect('recordedAs', (await lastEventOf(context))?.type ?? null, 'DataShareRefused');
    step.say('The bureau asks again: refused as WITHDRAWN, and the refusal is a recorded fact too.');
    return step.outcome();
  },
};

const bureauNotified: DemoChapter = {
  id: 'bureau-notified',
  title: 'The bureau is notified',
  run: async (context) => {
    const step = new StepRecorder('bureau-notified', 'The bureau is notified');
    const events = await streamEvents(context.store, subjectStream(SUBJECT));
    const notification = events.find((e) => e.type === 'WithdrawalNotificationIssued');
    step.expect('notificationRecorded', notification !== undefined, true);
    step.expect('notifiedRecipient', pickString(notification?.data, 'recipientId'), 'bureau');
    step.say('The withdrawal issued a notification to every recipient that had received Jun\'s data, so the bureau knows to stop and delete.');
    step.table(
      ['position', 'event'],
      events.map((e) => [e.globalPosition.toString(), e.type]),
    );
    return step.outcome();
  },
};

export const CONSENT_CHAPTERS: readonly DemoChapter[] = [
  noticePublished,
  preTickedRefused,
  consentGranted,
  featuresShared,
  socialRankingRefused,
  withdrawn,
  shareRefusedAfterWithdrawal,
  bureauNotified,
];

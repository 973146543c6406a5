import { existsSync } from 'node:fs';
import { runDemo, DemoReport } from './run-demo';
import { DEMO_CHAPTERS } from './demo-chapters';

/**
 * The demo is the project's story; it runs here against its own fresh embedded store and real
 * HTTP, and every step's outcome is asserted (statuses, codes, balances, verdicts), not the text.
 */
describe('attest demo', () => {
  let report: DemoReport;
  const facts = (id: string) => {
    const step = report.steps.find((s) => s.id === id);
    if (!step) throw new Error(`no step ${id}`);
    return step.facts;
  };

  beforeAll(async () => {
    report = await runDemo();
  }, 120_000);

  it('tells the whole story in order, every step as expected, and leaves nothing behind', () => {
    expect(report.steps.map((s) => s.id)).toEqual(DEMO_CHAPTERS.map((c) => c.id));
    expect(report.steps.map((s) => s.id)).toEqual([
      'fund-wallets',
      'tips',
      'friend-request-accepted',
      'friend-request-declined',
      'notice-published',
      'pre-ticked-refused',
      'consent-granted',
      'features-shared',
      'social-ranking-refused',
      'consent-withdrawn',
      'share-refused-after-withdrawal',
      'bureau-notified',
      'bundle-verified',
      'tamper-detected',
      'settlement-reconciled',
    ]);
    expect(report.steps.filter((s) => !s.ok).map((s) => [s.id, s.problems])).toEqual([]);
    expect(report.ok).toBe(true);
    expect(existsSync(report.dataDir)).toBe(false);
  });

  it('money: deposits, a tip net of commission, a fee held then captured, another held then refunded', () => {
    expect(facts('fund-wallets')).toMatchObject({ depositStatuses: ['201', '201', '201'], junPosted: '500.00' });
    expect(facts('tips')).toMatchObject({ status: 201, junPosted: '480.00', meiPosted: '119.00' });
    expect(facts('friend-request-accepted')).toMatchObject({ heldStatus: 201, holdState: 'held', junHeldWhilePending: '10.00', acceptedState: 'accepted', net: '9.50', junPosted: '470.00', meiPosted: '128.50' });
    expect(facts('friend-request-declined')).toMatchObject({ declineStatus: 200, declinedState: 'declined', junPosted: '470.00', junHeld: '0.00', lanPosted: '100.00' });
  });

  it('consent: the pre-ticked bundled box is refused and recorded; a separate consent is granted', () => {
    expect(facts('notice-published')).toMatchObject({ catalogueStatuses: ['200'], noticeStatus: 201 });
    expect(facts('pre-ticked-refused')).toEqual({
      status: 422,
      code: 'PRE_TICKED_CONSENT',
      reasons: 'PRE_TICKED_CONSENT,BUNDLED_CONSENT,SEPARATE_CONSENT_REQUIRED',
      recordedAs: 'ConsentAttemptRejected',
    });
    expect(facts('consent-granted')).toMatchObject({ status: 201, state: 'active', consentType: 'EXPLICIT', laterTipStatuses: ['201', '201'] });
  });

  it('shares: features inside the consent window only; social ranking refused; withdrawal stops the next share and notifies the bureau', () => {
    expect(facts('features-shared')).toEqual({ status: 200, tipsSentCount90d: '2', tipsSentVolume90d: '42.50', recordedAs: 'DataShared' });
    expect(facts('social-ranking-refused')).toEqual({ status: 403, code: 'PURPOSE_INCOMPATIBLE', recordedAs: 'DataShareRefused' });
    expect(facts('consent-withdrawn')).toEqual({ status: 200, withdrawn: ['credit-bureau-2026'], notifiedRecipients: ['bureau'] });
    expect(facts('share-refused-after-withdrawal')).toEqual({ status: 403, code: 'WITHDRAWN', recordedAs: 'DataShareRefused' });
    expect(facts('bureau-notified')).toEqual({ notificationRecorded: true, notifiedRecipient: 'bureau' });
  });

  it('proof: the exported bundle verifies; one altered byte is caught at its position', () => {
    expect(facts('bundle-verified')).toMatchObject({ status: 200, verified: true, failures: 0, eventsProven: 7, noticesProven: 1 });
    const tamper = facts('tamper-detected');
    expect(tamper).toMatchObject({ intactBefore: true, rowsEdited: 1, intactAfter: false, firstDifferenceCode: 'EVENT_CHANGED' });
    expect(tamper['firstDifferencePosition']).toBe(facts('tips')['position']);
  });

  it('finance: the settlement file reconciles with exactly one discrepancy, in minor units', () => {
    expect(facts('settlement-reconciled')).toMatchObject({ status: 201, matched: 2, amountMismatch: 1, unmatched: 1 });
    expect(facts('settlement-reconciled')['reportSha256']).toMatch(/^[0-9a-f]{64}$/);
  });
});

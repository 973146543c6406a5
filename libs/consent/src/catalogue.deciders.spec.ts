import { spec } from '@attest/decider/testing';
import { fold } from '@attest/decider';
import { noticeDecider, PublishNoticeVersion, purposeDecider, recipientDecider } from './catalogue.deciders';
import { noticeCoverage } from './catalogue';
import { noticeTextHash } from './ids';
import { FIXTURE_TIME, fixtureCatalogue, noticeV1 } from './testing/fixtures';

const catalogue = fixtureCatalogue();
const publish = (overrides: Partial<PublishNoticeVersion> = {}): PublishNoticeVersion => ({
  type: 'PublishNoticeVersion',
  ...noticeV1,
  noticeId: 'n2',
  now: FIXTURE_TIME,
  catalogue,
  ...overrides,
});

describe('notice versions', () => {
  it('publishes version 1 with a SHA-256 of the exact text computed here, not by the client', () => {
    const [event] = spec(noticeDecider).given([]).when(publish()).thenAccepts();
    expect(event?.data).toMatchObject({ noticeId: 'n2', version: 1, textHash: noticeTextHash(noticeV1.text), recipients: ['bureau', 'lender'] });
    expect(event?.pii).toEqual({ controller: noticeV1.controller });
  });

  it('a published version is immutable: same content is a no-op, other content is NOTICE_VERSION_EXISTS', () => {
    const first = spec(noticeDecider).given([]).when(publish()).thenAccepts();
    spec(noticeDecider).given(first).when(publish()).then([]);
    spec(noticeDecider).given(first).when(publish({ text: 'edited afterwards' })).thenRejects('NOTICE_VERSION_EXISTS');
  });

  it('versions are consecutive', () => {
    spec(noticeDecider).given([]).when(publish({ version: 2 })).thenRejects('VALIDATION_FAILED');
  });

  it('names only defined purposes and registered recipients', () => {
    spec(noticeDecider).given([]).when(publish({ purposes: ['nope'] })).thenRejects('PURPOSE_NOT_FOUND');
    spec(noticeDecider).given([]).when(publish({ recipients: ['nope'] })).thenRejects('RECIPIENT_NOT_FOUND');
  });
});

describe('purposes and recipients', () => {
  const define = { type: 'DefinePurpose' as const, purposeId: 'fraud', description: 'Detect fraud', sensitive: false, compatibleWith: ['credit-scoring'], now: FIXTURE_TIME, catalogue };

  it('defines a purpose, and redefining it identically records nothing', () => {
    const events = spec(purposeDecider).given([]).when(define).thenAccepts();
    expect(events[0]?.data).toMatchObject({ purposeId: 'fraud', revision: 1, compatibleWith: ['credit-scoring'] });
    spec(purposeDecider).given(events).when(define).then([]);
    const changed = spec(purposeDecider).given(events).when({ ...define, sensitive: true }).thenAccepts();
    expect(changed[0]?.data.revision).toBe(2);
  });

  it('refuses compatibility with an undefined purpose or with itself', () => {
    spec(purposeDecider).given([]).when({ ...define, compatibleWith: ['nope'] }).thenRejects('PURPOSE_NOT_FOUND');
    spec(purposeDecider).given([]).when({ ...define, compatibleWith: ['fraud'] }).thenRejects('VALIDATION_FAILED');
  });

  it('registers a recipient with its name and contact in the personal-data section', () => {
    const command = { type: 'DefineRecipient' as const, recipientId: 'r9', name: 'Nine Ltd', contact: 'dpo@nine.example', jurisdiction: 'CN', now: FIXTURE_TIME };
    const events = spec(recipientDecider).given([]).when(command).thenAccepts();
    expect(events[0]).toMatchObject({ data: { recipientId: 'r9', jurisdiction: 'CN' }, pii: { name: 'Nine Ltd', contact: 'dpo@nine.example' } });
    expect(fold(recipientDecider, events).current?.name).toBe('Nine Ltd');
    spec(recipientDecider).given(events).when(command).then([]);
  });
});

describe('notice coverage', () => {
  it('a consent under version 1 covers its scope while no later version exists', () => {
    const reference = { noticeId: 'credit-sharing', version: 1, textHash: noticeTextHash(noticeV1.text) };
    expect(noticeCoverage(catalogue, reference, { purposeId: 'credit-scoring', recipientId: 'bureau', dataCategories: ['transactions'] })).toBe('covered');
    expect(noticeCoverage(catalogue, { ...reference, version: 5 }, { purposeId: 'credit-scoring', recipientId: null, dataCategories: ['transactions'] })).toBe('NO_CONSENT');
  });
});

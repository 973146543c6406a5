import { accept, Decider, Decision, InvariantViolation, reject } from '@attest/decider';
import { Map as PersistentMap } from 'immutable';
import { CatalogueState, coverageOf, noticeVersion, purposeCovers, referenceOf } from './catalogue';
import type {
  Collection,
  ConsentAttemptRejectedEvent,
  ConsentWithdrawnEvent,
  DataSharedEvent,
  DataShareRefusedEvent,
  Evidence,
  InvalidConsentReason,
  NoticeReference,
  ShareRefusalReason,
  SubjectEvent,
  WithdrawalNotificationIssuedEvent,
} from './consent.events';
import { deterministicEventId, timeOrderedEventId } from './ids';

/**
 * The subject's consent stream (`subject-<subjectId>`): grants, refused attempts, withdrawals,
 * shares and refused shares. It is the consistency boundary: a share is decided against the
 * state this stream had, and appended with that stream revision, so a share and a withdrawal of
 * the same subject are serialised and a share can never follow a withdrawal it could have seen.
 */

/** Every event on the stream carries its id (deterministic when we emit it, stored when replayed). */
export type SubjectStreamEvent = SubjectEvent & { eventId: string };

export interface ConsentRecord {
  consentId: string;
  /** The ConsentGranted event, cited by every share that relies on this consent. */
  eventId: string;
  purposeId: string;
  recipientId: string | null;
  notice: NoticeReference;
  language: string;
  dataCategories: readonly string[];
  sensitive: boolean;
  collection: Collection;
  grantedAt: string;
  expiresAt: string | null;
  withdrawn: { withdrawalId: string; withdrawnAt: string; eventId: string } | null;
  /** How many shares relied on it: who must be told on withdrawal. */
  sharesCount: number;
}

export interface ShareRecord {
  shareId: string;
  recipientId: string;
  purposeId: string;
  dataCategories: readonly string[];
  eventId: string;
  outcome: 'shared' | 'refused';
  reason: ShareRefusalReason | null;
  consentId: string | null;
  consentEventId: string | null;
  notice: NoticeReference | null;
  at: string;
}

export interface SubjectState {
  subjectId: string | null;
  consents: ReadonlyMap<string, ConsentRecord>;
  attempts: ReadonlyMap<string, { reasons: readonly InvalidConsentReason[]; purposeId: string; recipientId: string | null }>;
  withdrawals: ReadonlyMap<string, readonly string[]>;
  /**
   * Keyed by `<recipientId>/<shareId>`: a share id is the recipient's own idempotency key.
   * Every partner read is a share, so this grows by one entry per read for the subject's whole
   * life: it is a persistent (structurally shared) map, so recording a share costs O(log n)
   * instead of copying every earlier share. With a copied `Map`, a subject with 5,000 shares
   * took 1.5 s to load and 0.8 ms per further share (ADR 0020).
   */
  shares: PersistentMap<string, ShareRecord>;
  /** Set once the subject is erased: nothing new is ever granted for them. */
  erased: { erasureId: string; erasedAt: string } | null;
}

/** Broken invariants throw (never an expected failure); `invariant` from @attest/decider is an arrow function, which TS cannot use as an assertion here. */
const check = (condition: boolean, message: string): void => {
  if (!condition) throw new InvariantViolation(message);
};
const must = <T>(value: T | null | undefined, message: string): T => {
  if (value === null || value === undefined) throw new InvariantViolation(message);
  return value;
};

// ─── commands ─────────────────────────────────────────────────────────────────────────────

export interface GrantConsent {
  type: 'GrantConsent';
  subjectId: string;
  /** Client-supplied: the idempotency key of this decision and the consent's id. */
  consentId: string;
  purposeId: string;
  recipientId: string | null;
  /** The notice version shown, and the hash of the text the client showed. */
  notice: NoticeReference;
  language: string;
  collection: Collection;
  expiresAt: string | null;
  evidence: Evidence;
  now: string;
  catalogue: CatalogueState;
}

export type WithdrawalTarget =
  | { scope: 'consent'; consentId: string }
  /** `recipientId` undefined: every recipient of that purpose; null: only the controller's own use. */
  | { scope: 'purpose'; purposeId: string; recipientId?: string | null }
  | { scope: 'all' };

export interface WithdrawConsent {
  type: 'WithdrawConsent';
  subjectId: string;
  withdrawalId: string;
  target: WithdrawalTarget;
  now: string;
}

export interface RequestDataShare {
  type: 'RequestDataShare';
  subjectId: string;
  shareId: string;
  recipientId: string;
  purposeId: string;
  dataCategories: readonly string[];
  /**
   * The purpose the data was collected for, when the caller serves derived data (credit
   * features are collected for credit-scoring): a requested purpose incompatible with it is
   * refused whatever the subject consented to.
   */
  collectedFor: string | null;
  now: string;
  catalogue: CatalogueState;
}

/**
 * Right to erasure (PIPL Art. 47, GDPR Art. 17): withdraw everything and mark the subject erased,
 * in one append. The caller destroys the subject's data key once this is recorded.
 */
export interface EraseSubject {
  type: 'EraseSubject';
  subjectId: string;
  erasureId: string;
  requestedBy: 'subject' | 'operator';
  now: string;
}

export type SubjectCommand = GrantConsent | WithdrawConsent | RequestDataShare | EraseSubject;

export type SubjectFailure =
  | InvalidConsentReason
  | ShareRefusalReason
  | 'NOTICE_NOT_FOUND'
  | 'PURPOSE_NOT_FOUND'
  | 'RECIPIENT_NOT_FOUND'
  | 'CONSENT_NOT_FOUND'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'VALIDATION_FAILED'
  | 'SUBJECT_ERASED';

type SubjectDecision = Decision<SubjectStreamEvent, SubjectFailure>;

// ─── the share gate (pure, reusable) ──────────────────────────────────────────────────────

export type ShareVerdict =
  | { allowed: true; consent: ConsentRecord }
  | { allowed: false; reason: ShareRefusalReason; detail: string; consent: ConsentRecord | null };

const blockingReason = (consent: ConsentRecord, dataCategories: readonly string[], now: string, catalogue: CatalogueState): ShareRefusalReason | null => {
  if (consent.withdrawn) return 'WITHDRAWN';
  if (consent.expiresAt !== null && now >= consent.expiresAt) return 'EXPIRED';
  const coverage = coverageOf(catalogue, consent.notice, consent.purposeId, consent.recipientId, dataCategories);
  return coverage === 'covered' ? null : coverage;
};

const REASON_DETAIL: Record<ShareRefusalReason, string> = {
  NO_CONSENT: 'no consent of this subject covers this purpose, recipient and data',
  WITHDRAWN: 'the subject withdrew the consent this share would rely on',
  EXPIRED: 'the consent this share would rely on has expired',
  PURPOSE_INCOMPATIBLE: 'the requested purpose is not compatible with the purpose consented to',
  RECIPIENT_NOT_COVERED: 'the subject consented to this purpose for other recipients, not this one',
  NOTICE_OUTDATED: 'the notice changed this scope since the consent was given; the subject must consent again',
};

const refuse = (reason: ShareRefusalReason, consent: ConsentRecord | null = null, detail = REASON_DETAIL[reason]): ShareVerdict => ({
  allowed: false,
  reason,
  detail,
  consent,
});

/**
 * The hard gate between consent and every data share: a pure function of the subject's state,
 * the request and the catalogue. It picks the newest consent that covers the use; when none
 * does, the reason is that of the newest candidate (withdrawn, expired, outdated) or says why
 * there is no candidate at all. Candidates are the consents to this recipient whose purpose
 * covers the requested one, newest last (grant order). It runs for every share decision and
 * every credit-features contribution, so it walks the consents in place (no arrays, no closures).
 */
export const evaluateShare = (
  state: SubjectState,
  request: Pick<RequestDataShare, 'recipientId' | 'purposeId' | 'dataCategories' | 'collectedFor' | 'now'>,
  catalogue: CatalogueState,
): ShareVerdict => {
  if (request.collectedFor !== null && !purposeCovers(catalogue, request.collectedFor, request.purposeId))
    return refuse('PURPOSE_INCOMPATIBLE', null, `data collected for ${request.collectedFor} may not be used for ${request.purposeId}`);
  let newestCovering: ConsentRecord | null = null;
  let newestCandidate: ConsentRecord | null = null;
  for (const consent of state.consents.values()) {
    if (consent.recipientId !== request.recipientId || !purposeCovers(catalogue, consent.purposeId, request.purposeId)) continue;
    newestCandidate = consent;
    if (blockingReason(consent, request.dataCategories, request.now, catalogue) === null) newestCovering = consent;
  }
  if (newestCovering !== null) return { allowed: true, consent: newestCovering };
  if (newestCandidate === null) {
    let otherPurpose = false;
    let otherRecipient = false;
    for (const consent of state.consents.values()) {
      if (consent.recipientId === request.recipientId && !consent.withdrawn) otherPurpose = true;
      if (purposeCovers(catalogue, consent.purposeId, request.purposeId)) otherRecipient = true;
    }
    if (otherPurpose) return refuse('PURPOSE_INCOMPATIBLE');
    if (otherRecipient) return refuse('RECIPIENT_NOT_COVERED');
    return refuse('NO_CONSENT');
  }
  const reason = must(blockingReason(newestCandidate, request.dataCategories, request.now, catalogue), 'a candidate that covers nothing has a reason');
  return refuse(reason, newestCandidate);
};

// ─── decide ───────────────────────────────────────────────────────────────────────────────

const grant = (command: GrantConsent, state: SubjectState): SubjectDecision => {
  if (state.erased) return reject('SUBJECT_ERASED', `subject ${command.subjectId} asked for erasure; nothing new is recorded for them`);
  const { catalogue } = command;
  const existing = state.consents.get(command.consentId);
  if (existing) {
    const same =
      existing.purposeId === command.purposeId &&
      existing.recipientId === command.recipientId &&
      existing.notice.noticeId === command.notice.noticeId &&
      existing.notice.version === command.notice.version;
    return same
      ? accept()
      : reject('IDEMPOTENCY_KEY_REUSED', `consent id ${command.consentId} was already used for another decision`, { field: 'body.consentId' });
  }
  const attempt = state.attempts.get(command.consentId);
  if (attempt) {
    const first = attempt.reasons[0] ?? 'PRE_TICKED_CONSENT';
    return reject(first, `this attempt was already refused: ${attempt.reasons.join(', ')}`, { context: { reasons: attempt.reasons.join(',') } });
  }
  const purpose = catalogue.purposes.get(command.purposeId);
  if (!purpose) return reject('PURPOSE_NOT_FOUND', `purpose ${command.purposeId} is not defined`, { field: 'body.purposeId' });
  if (command.recipientId !== null && !catalogue.recipients.has(command.recipientId))
    return reject('RECIPIENT_NOT_FOUND', `recipient ${command.recipientId} is not registered`, { field: 'body.recipientId' });
  const version = noticeVersion(catalogue, command.notice.noticeId, command.notice.version);
  if (!version)
    return reject('NOTICE_NOT_FOUND', `notice ${command.notice.noticeId} has no version ${command.notice.version}`, { field: 'body.notice' });
  if (command.language !== version.language)
    return reject('VALIDATION_FAILED', `notice version ${version.version} is in ${version.language}, not ${command.language}`, {
      field: 'body.language',
    });
  if (command.expiresAt !== null && command.expiresAt <= command.now)
    return reject('VALIDATION_FAILED', 'expiresAt must be in the future', { field: 'body.expiresAt' });

  const { collection } = command;
  const reasons: InvalidConsentReason[] = [];
  if (collection.checkboxDefault === 'checked') reasons.push('PRE_TICKED_CONSENT');
  if (collection.alsoAccepted.some((a) => a.kind !== 'consent')) reasons.push('BUNDLED_CONSENT');
  if (command.notice.textHash !== version.textHash) reasons.push('NOTICE_HASH_MISMATCH');
  if (!version.purposes.includes(command.purposeId)) reasons.push('PURPOSE_NOT_IN_NOTICE');
  if (command.recipientId !== null && !version.recipients.includes(command.recipientId)) reasons.push('RECIPIENT_NOT_IN_NOTICE');
  // PIPL Art. 23 and 29: a share with a third party, or sensitive data, needs its own act.
  const needsSeparate = purpose.sensitive || command.recipientId !== null;
  if (needsSeparate && (!collection.action.dedicated || collection.alsoAccepted.length > 0)) reasons.push('SEPARATE_CONSENT_REQUIRED');

  const notice = referenceOf(version);
  const [first] = reasons;
  if (first) {
    const refused: ConsentAttemptRejectedEvent & { eventId: string } = {
      type: 'ConsentAttemptRejected',
      eventId: deterministicEventId('subject', command.subjectId, 'attempt', command.consentId),
      data: {
        attemptId: command.consentId,
        subjectId: command.subjectId,
        purposeId: command.purposeId,
        recipientId: command.recipientId,
        notice,
        citedTextHash: command.notice.textHash,
        reasons,
        collection,
        attemptedAt: command.now,
      },
      pii: command.evidence,
    };
    return reject(first, `not valid consent: ${reasons.join(', ')}`, { record: [refused], context: { reasons: reasons.join(',') } });
  }
  return accept<SubjectStreamEvent>({
    type: 'ConsentGranted',
    eventId: deterministicEventId('subject', command.subjectId, 'consent', command.consentId),
    data: {
      consentId: command.consentId,
      subjectId: command.subjectId,
      purposeId: command.purposeId,
      recipientId: command.recipientId,
      notice,
      language: version.language,
      dataCategories: [...version.dataCategories],
      sensitive: purpose.sensitive,
      collection,
      grantedAt: command.now,
      expiresAt: command.expiresAt,
    },
    pii: command.evidence,
  });
};

const matchesTarget = (consent: ConsentRecord, target: WithdrawalTarget): boolean => {
  switch (target.scope) {
    case 'all':
      return true;
    case 'consent':
      return consent.consentId === target.consentId;
    case 'purpose':
      return consent.purposeId === target.purposeId && (target.recipientId === undefined || consent.recipientId === target.recipientId);
  }
};

const withdraw = (command: WithdrawConsent, state: SubjectState): SubjectDecision => {
  // Idempotent twice over: a repeated withdrawal id changes nothing, and so does withdrawing
  // what is already withdrawn (the state says so).
  if (state.withdrawals.has(command.withdrawalId)) return accept();
  const { target } = command;
  if (target.scope === 'consent' && !state.consents.has(target.consentId))
    return reject('CONSENT_NOT_FOUND', `this subject has no consent ${target.consentId}`, { field: 'body.consentId' });
  const events: SubjectStreamEvent[] = [];
  for (const consent of state.consents.values()) {
    if (consent.withdrawn || !matchesTarget(consent, target)) continue;
    const withdrawn: ConsentWithdrawnEvent & { eventId: string } = {
      type: 'ConsentWithdrawn',
      eventId: deterministicEventId('subject', command.subjectId, 'withdrawal', command.withdrawalId, consent.consentId),
      data: {
        withdrawalId: command.withdrawalId,
        consentId: consent.consentId,
        subjectId: command.subjectId,
        purposeId: consent.purposeId,
        recipientId: consent.recipientId,
        notice: consent.notice,
        scope: target.scope,
        withdrawnAt: command.now,
      },
    };
    events.push(withdrawn);
    if (consent.recipientId !== null && consent.sharesCount > 0) {
      const notificationId = deterministicEventId('subject', command.subjectId, 'notification', command.withdrawalId, consent.consentId);
      const notified: WithdrawalNotificationIssuedEvent & { eventId: string } = {
        type: 'WithdrawalNotificationIssued',
        eventId: notificationId,
        data: {
          notificationId,
          withdrawalId: command.withdrawalId,
          consentId: consent.consentId,
          subjectId: command.subjectId,
          recipientId: consent.recipientId,
          notice: consent.notice,
          sharesUnderConsent: consent.sharesCount,
          issuedAt: command.now,
        },
      };
      events.push(notified);
    }
  }
  return accept(...events);
};

export const shareKey = (recipientId: string, shareId: string) => `${recipientId}/${shareId}`;

const erase = (command: EraseSubject, state: SubjectState): SubjectDecision => {
  // Idempotent: a second erasure records nothing (the caller still makes sure the key is gone).
  if (state.erased) return accept();
  const withdrawal = withdraw({ type: 'WithdrawConsent', subjectId: command.subjectId, withdrawalId: command.erasureId, target: { scope: 'all' }, now: command.now }, state);
  const withdrawals = withdrawal.kind === 'accepted' ? withdrawal.events : [];
  const erased: SubjectStreamEvent = {
    type: 'SubjectErased',
    eventId: deterministicEventId('subject', command.subjectId, 'erasure', command.erasureId),
    data: {
      subjectId: command.subjectId,
      erasureId: command.erasureId,
      requestedBy: command.requestedBy,
      consentsWithdrawn: withdrawals.filter((e) => e.type === 'ConsentWithdrawn').length,
      erasedAt: command.now,
    },
  };
  return accept(...withdrawals, erased);
};

const share = (command: RequestDataShare, state: SubjectState): SubjectDecision => {
  const previous = state.shares.get(shareKey(command.recipientId, command.shareId));
  if (previous) {
    if (previous.purposeId !== command.purposeId)
      return reject('IDEMPOTENCY_KEY_REUSED', `share id ${command.shareId} was already used for another request`, { field: 'body.shareId' });
    if (previous.outcome === 'shared') return accept();
    const reason = previous.reason ?? 'NO_CONSENT';
    return reject(reason, REASON_DETAIL[reason], { context: { shareId: command.shareId } });
  }
  if (!command.catalogue.purposes.has(command.purposeId))
    return reject('PURPOSE_NOT_FOUND', `purpose ${command.purposeId} is not defined`, { field: 'body.purposeId' });
  if (!command.catalogue.recipients.has(command.recipientId))
    return reject('RECIPIENT_NOT_FOUND', `recipient ${command.recipientId} is not registered`, { field: 'params.recipientId' });
  const verdict = evaluateShare(state, command, command.catalogue);
  const eventId = timeOrderedEventId(command.shareId, 'subject', command.subjectId, 'share', command.recipientId, command.shareId);
  // The request's members, then the outcome's, added with `Object.assign` to that fresh object:
  // not `{ ...base, consentId, … }`, which on Node 20's V8 gives every event's data a hidden class
  // of its own (~0.5 µs per added member, and megamorphic code wherever the data goes; ADR 0022).
  const base = {
    shareId: command.shareId,
    subjectId: command.subjectId,
    recipientId: command.recipientId,
    purposeId: command.purposeId,
    dataCategories: [...command.dataCategories],
  };
  if (verdict.allowed) {
    const shared: DataSharedEvent & { eventId: string } = {
      type: 'DataShared',
      eventId,
      data: Object.assign(base, { consentId: verdict.consent.consentId, consentEventId: verdict.consent.eventId, notice: verdict.consent.notice, sharedAt: command.now }),
    };
    return accept(shared);
  }
  const refused: DataShareRefusedEvent & { eventId: string } = {
    type: 'DataShareRefused',
    eventId,
    data: Object.assign(base, {
      reason: verdict.reason,
      consentId: verdict.consent?.consentId ?? null,
      notice: verdict.consent?.notice ?? null,
      refusedAt: command.now,
    }),
  };
  return reject(verdict.reason, verdict.detail, { record: [refused], context: { shareId: command.shareId } });
};

// ─── evolve ───────────────────────────────────────────────────────────────────────────────

/** For the small maps (consents, attempts, withdrawals: a handful per subject); shares use `PersistentMap.set`. */
const withEntry = <V>(map: ReadonlyMap<string, V>, key: string, value: V): ReadonlyMap<string, V> => new Map(map).set(key, value);

/**
 * The next state, every member written out: not `{ ...state, subjectId, shares }`. On Node 20's
 * V8 an object spread gives its result a hidden class of its own, and a spread of such a result
 * another one, so every evolved state had a new class and every store into it missed its inline
 * cache (V8's IC log: four megamorphic misses per share evolved, the most frequent of the API
 * thread on credit-feature reads). Written out, every state shares one class (ADR 0022).
 */
const nextState = (state: SubjectState, subjectId: string, changes: Partial<Omit<SubjectState, 'subjectId'>>): SubjectState => ({
  subjectId,
  consents: changes.consents ?? state.consents,
  attempts: changes.attempts ?? state.attempts,
  withdrawals: changes.withdrawals ?? state.withdrawals,
  shares: changes.shares ?? state.shares,
  erased: changes.erased === undefined ? state.erased : changes.erased,
});

/** A consent record with some members changed, written out for the same reason as `nextState`. */
const nextConsent = (consent: ConsentRecord, changes: Pick<Partial<ConsentRecord>, 'withdrawn' | 'sharesCount'>): ConsentRecord => ({
  consentId: consent.consentId,
  eventId: consent.eventId,
  purposeId: consent.purposeId,
  recipientId: consent.recipientId,
  notice: consent.notice,
  language: consent.language,
  dataCategories: consent.dataCategories,
  sensitive: consent.sensitive,
  collection: consent.collection,
  grantedAt: consent.grantedAt,
  expiresAt: consent.expiresAt,
  withdrawn: changes.withdrawn === undefined ? consent.withdrawn : changes.withdrawn,
  sharesCount: changes.sharesCount ?? consent.sharesCount,
});

export const evolveSubject = (state: SubjectState, event: SubjectStreamEvent): SubjectState => {
  const subjectId = state.subjectId ?? event.data.subjectId;
  check(subjectId === event.data.subjectId, `event ${event.eventId} belongs to subject ${event.data.subjectId}, not ${subjectId}`);
  switch (event.type) {
    case 'ConsentGranted': {
      const d = event.data;
      const record: ConsentRecord = {
        consentId: d.consentId,
        eventId: event.eventId,
        purposeId: d.purposeId,
        recipientId: d.recipientId,
        notice: d.notice,
        language: d.language,
        dataCategories: d.dataCategories,
        sensitive: d.sensitive,
        collection: d.collection,
        grantedAt: d.grantedAt,
        expiresAt: d.expiresAt,
        withdrawn: null,
        sharesCount: 0,
      };
      return nextState(state, subjectId, { consents: withEntry(state.consents, d.consentId, record) });
    }
    case 'ConsentAttemptRejected': {
      const d = event.data;
      return nextState(state, subjectId, { attempts: withEntry(state.attempts, d.attemptId, { reasons: d.reasons, purposeId: d.purposeId, recipientId: d.recipientId }) });
    }
    case 'ConsentWithdrawn': {
      const d = event.data;
      const consent = must(state.consents.get(d.consentId), `withdrawal of unknown consent ${d.consentId}`);
      const withdrawals = withEntry(state.withdrawals, d.withdrawalId, [...(state.withdrawals.get(d.withdrawalId) ?? []), d.consentId]);
      const withdrawn = { withdrawalId: d.withdrawalId, withdrawnAt: d.withdrawnAt, eventId: event.eventId };
      return nextState(state, subjectId, { withdrawals, consents: withEntry(state.consents, d.consentId, nextConsent(consent, { withdrawn })) });
    }
    case 'WithdrawalNotificationIssued':
      return nextState(state, subjectId, {});
    case 'DataShared': {
      const d = event.data;
      const consent = must(state.consents.get(d.consentId), `share relies on unknown consent ${d.consentId}`);
      const record: ShareRecord = {
        shareId: d.shareId,
        recipientId: d.recipientId,
        purposeId: d.purposeId,
        dataCategories: d.dataCategories,
        eventId: event.eventId,
        outcome: 'shared',
        reason: null,
        consentId: d.consentId,
        consentEventId: d.consentEventId,
        notice: d.notice,
        at: d.sharedAt,
      };
      return nextState(state, subjectId, {
        consents: withEntry(state.consents, d.consentId, nextConsent(consent, { sharesCount: consent.sharesCount + 1 })),
        shares: state.shares.set(shareKey(d.recipientId, d.shareId), record),
      });
    }
    case 'DataShareRefused': {
      const d = event.data;
      const record: ShareRecord = {
        shareId: d.shareId,
        recipientId: d.recipientId,
        purposeId: d.purposeId,
        dataCategories: d.dataCategories,
        eventId: event.eventId,
        outcome: 'refused',
        reason: d.reason,
        consentId: d.consentId,
        consentEventId: null,
        notice: d.notice,
        at: d.refusedAt,
      };
      return nextState(state, subjectId, { shares: state.shares.set(shareKey(d.recipientId, d.shareId), record) });
    }
    case 'SubjectErased':
      return nextState(state, subjectId, { erased: { erasureId: event.data.erasureId, erasedAt: event.data.erasedAt } });
    default: {
      const unknown: never = event;
      throw new Error(`unknown subject event ${String(unknown)}`);
    }
  }
};

export const initialSubjectState = (): SubjectState => ({
  subjectId: null,
  consents: new Map(),
  attempts: new Map(),
  withdrawals: new Map(),
  shares: PersistentMap<string, ShareRecord>(),
  erased: null,
});

export const subjectDecider: Decider<SubjectCommand, SubjectStreamEvent, SubjectState, SubjectFailure> = {
  initialState: initialSubjectState,
  evolve: evolveSubject,
  decide: (command, state) => {
    check(state.subjectId === null || state.subjectId === command.subjectId, 'a command reached another subject\'s stream');
    switch (command.type) {
      case 'GrantConsent':
        return grant(command, state);
      case 'WithdrawConsent':
        return withdraw(command, state);
      case 'RequestDataShare':
        return share(command, state);
      case 'EraseSubject':
        return erase(command, state);
      default: {
        const unknown: never = command;
        throw new Error(`unknown command ${String(unknown)}`);
      }
    }
  },
};

import type { CatalogueEvent, NoticeReference, ShareRefusalReason } from './consent.events';

/**
 * The catalogue (purposes, recipients, notice versions) as one immutable value. Deciders never
 * load anything: the API loads the catalogue and passes this snapshot inside the command, so a
 * decision is a pure function of (command, subject state). `evolveCatalogue` copies the map it
 * changes, which is cheap because the catalogue is small and changes rarely.
 */
export interface Purpose {
  purposeId: string;
  revision: number;
  description: string;
  sensitive: boolean;
  compatibleWith: readonly string[];
}

export interface Recipient {
  recipientId: string;
  revision: number;
  jurisdiction: string;
  name: string | null;
  contact: string | null;
}

export interface NoticeVersion {
  noticeId: string;
  version: number;
  language: string;
  text: string;
  textHash: string;
  purposes: readonly string[];
  recipients: readonly string[];
  dataCategories: readonly string[];
  retention: string;
  howToWithdraw: string;
  publishedAt: string;
  controller: { name: string; contact: string } | null;
}

export interface CatalogueState {
  readonly purposes: ReadonlyMap<string, Purpose>;
  readonly recipients: ReadonlyMap<string, Recipient>;
  /** Versions of each notice, `versions[n - 1]` is version n. */
  readonly notices: ReadonlyMap<string, readonly NoticeVersion[]>;
}

export const emptyCatalogue = (): CatalogueState => ({ purposes: new Map(), recipients: new Map(), notices: new Map() });

type PiiOf<E> = E extends { pii: infer P } ? P | null | undefined : never;
const named = <T>(pii: T | null | undefined): T | null => (pii && typeof pii === 'object' && !('erased' in pii) ? pii : null);

export const evolveCatalogue = (state: CatalogueState, event: CatalogueEvent): CatalogueState => {
  switch (event.type) {
    case 'PurposeDefined': {
      const purposes = new Map(state.purposes);
      purposes.set(event.data.purposeId, { ...event.data });
      return { ...state, purposes };
    }
    case 'RecipientDefined': {
      const recipients = new Map(state.recipients);
      const pii = named(event.pii as PiiOf<typeof event>);
      recipients.set(event.data.recipientId, {
        recipientId: event.data.recipientId,
        revision: event.data.revision,
        jurisdiction: event.data.jurisdiction,
        name: pii?.name ?? null,
        contact: pii?.contact ?? null,
      });
      return { ...state, recipients };
    }
    case 'NoticeVersionPublished': {
      const notices = new Map(state.notices);
      const versions = notices.get(event.data.noticeId) ?? [];
      // Versions arrive in order on their stream; a repeated delivery of one already known is ignored.
      if (versions.length >= event.data.version) return state;
      const pii = named(event.pii as PiiOf<typeof event>);
      notices.set(event.data.noticeId, [...versions, { ...event.data, controller: pii?.controller ?? null }]);
      return { ...state, notices };
    }
    default: {
      const unknown: never = event;
      throw new Error(`unknown catalogue event ${String(unknown)}`);
    }
  }
};

export const noticeVersion = (catalogue: CatalogueState, noticeId: string, version: number): NoticeVersion | undefined =>
  catalogue.notices.get(noticeId)?.[version - 1];

export const latestNoticeVersion = (catalogue: CatalogueState, noticeId: string): NoticeVersion | undefined => {
  const versions = catalogue.notices.get(noticeId);
  return versions?.[versions.length - 1];
};

export const referenceOf = (version: NoticeVersion): NoticeReference => ({
  noticeId: version.noticeId,
  version: version.version,
  textHash: version.textHash,
});

/** A consent to `consented` covers a use for `requested` when they are the same or the catalogue says they are compatible. */
export const purposeCovers = (catalogue: CatalogueState, consented: string, requested: string): boolean =>
  consented === requested || (catalogue.purposes.get(consented)?.compatibleWith.includes(requested) ?? false);

/**
 * Does a consent given under `notice` still cover this use, now that later versions may exist
 * (PIPL Art. 14)? Only the *changed scope* stops covering: a later version that drops the
 * purpose or the recipient, or drops a requested data category, makes the old consent outdated
 * for it; a requested category the old version never listed is outdated when a later version
 * adds it (the subject never saw it) and simply not consented when no version does.
 * `asOf` restricts to versions published by then (for the as-of replay).
 */
export const noticeCoverage = (
  catalogue: CatalogueState,
  notice: NoticeReference,
  use: { purposeId: string; recipientId: string | null; dataCategories: readonly string[] },
  asOf?: string,
): 'covered' | Extract<ShareRefusalReason, 'NOTICE_OUTDATED' | 'NO_CONSENT'> =>
  coverageOf(catalogue, notice, use.purposeId, use.recipientId, use.dataCategories, asOf);

/**
 * `noticeCoverage` with the use spelled out: the share gate calls it for every share decision
 * (and the credit-features projection for every ledger event), so it walks the later versions
 * in place instead of building arrays.
 */
export const coverageOf = (
  catalogue: CatalogueState,
  notice: NoticeReference,
  purposeId: string,
  recipientId: string | null,
  dataCategories: readonly string[],
  asOf?: string,
): 'covered' | Extract<ShareRefusalReason, 'NOTICE_OUTDATED' | 'NO_CONSENT'> => {
  const versions = catalogue.notices.get(notice.noticeId);
  const base = versions?.[notice.version - 1];
  if (!versions || !base) return 'NO_CONSENT';
  // The later versions are versions[notice.version …], those published by `asOf` when it is given.
  for (const category of dataCategories) {
    if (!base.dataCategories.includes(category)) {
      for (let i = notice.version; i < versions.length; i++) {
        const later = versions[i];
        if (later && (asOf === undefined || later.publishedAt <= asOf) && later.dataCategories.includes(category)) return 'NOTICE_OUTDATED';
      }
      return 'NO_CONSENT';
    }
  }
  for (let i = notice.version; i < versions.length; i++) {
    const version = versions[i];
    if (!version || (asOf !== undefined && version.publishedAt > asOf)) continue;
    if (!version.purposes.includes(purposeId)) return 'NOTICE_OUTDATED';
    if (recipientId !== null && !version.recipients.includes(recipientId)) return 'NOTICE_OUTDATED';
    for (const category of dataCategories) if (!version.dataCategories.includes(category)) return 'NOTICE_OUTDATED';
  }
  return 'covered';
};

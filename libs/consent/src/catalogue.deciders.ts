import { accept, Decider, reject } from '@attest/decider';
import { CatalogueState, NoticeVersion } from './catalogue';
import type { NoticeVersionPublishedEvent, PurposeDefinedEvent, RecipientDefinedEvent } from './consent.events';
import { deterministicEventId, noticeTextHash } from './ids';

/**
 * The catalogue's three small deciders, one per stream kind (`purpose-<id>`, `recipient-<id>`,
 * `notice-<id>`). A purpose or recipient may be redefined (a new revision, recorded); a notice
 * version never changes once published: republishing the same content is a no-op, different
 * content under an existing number is NOTICE_VERSION_EXISTS.
 */
type WithId<E> = E & { eventId: string };
const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

// ─── purposes ─────────────────────────────────────────────────────────────────────────────

export interface DefinePurpose {
  type: 'DefinePurpose';
  purposeId: string;
  description: string;
  sensitive: boolean;
  compatibleWith: string[];
  now: string;
  catalogue: CatalogueState;
}
export interface PurposeState {
  current: PurposeDefinedEvent['data'] | null;
}
export type PurposeFailure = 'PURPOSE_NOT_FOUND' | 'VALIDATION_FAILED';

export const purposeDecider: Decider<DefinePurpose, WithId<PurposeDefinedEvent>, PurposeState, PurposeFailure> = {
  initialState: () => ({ current: null }),
  evolve: (_state, event) => ({ current: event.data }),
  decide: (command, state) => {
    const compatibleWith = [...new Set(command.compatibleWith)].sort();
    if (compatibleWith.includes(command.purposeId))
      return reject('VALIDATION_FAILED', 'a purpose is not listed as compatible with itself', { field: 'body.compatibleWith' });
    const unknown = compatibleWith.find((id) => !command.catalogue.purposes.has(id));
    if (unknown) return reject('PURPOSE_NOT_FOUND', `compatible purpose ${unknown} is not defined`, { field: 'body.compatibleWith' });
    const current = state.current;
    if (
      current &&
      current.description === command.description &&
      current.sensitive === command.sensitive &&
      sameList(current.compatibleWith, compatibleWith)
    )
      return accept();
    const revision = (current?.revision ?? 0) + 1;
    return accept({
      type: 'PurposeDefined',
      eventId: deterministicEventId('purpose', command.purposeId, String(revision)),
      data: {
        purposeId: command.purposeId,
        revision,
        description: command.description,
        sensitive: command.sensitive,
        compatibleWith,
        definedAt: command.now,
      },
    });
  },
};

// ─── recipients ───────────────────────────────────────────────────────────────────────────

export interface DefineRecipient {
  type: 'DefineRecipient';
  recipientId: string;
  name: string;
  contact: string;
  jurisdiction: string;
  now: string;
}
export interface RecipientState {
  current: { revision: number; jurisdiction: string; name: string | null; contact: string | null } | null;
}

export const recipientDecider: Decider<DefineRecipient, WithId<RecipientDefinedEvent>, RecipientState, never> = {
  initialState: () => ({ current: null }),
  evolve: (_state, event) => {
    const pii = event.pii && !('erased' in event.pii) ? event.pii : null;
    return { current: { revision: event.data.revision, jurisdiction: event.data.jurisdiction, name: pii?.name ?? null, contact: pii?.contact ?? null } };
  },
  decide: (command, state) => {
    const current = state.current;
    if (current && current.name === command.name && current.contact === command.contact && current.jurisdiction === command.jurisdiction)
      return accept();
    const revision = (current?.revision ?? 0) + 1;
    return accept({
      type: 'RecipientDefined',
      eventId: deterministicEventId('recipient', command.recipientId, String(revision)),
      data: { recipientId: command.recipientId, revision, jurisdiction: command.jurisdiction, definedAt: command.now },
      pii: { name: command.name, contact: command.contact },
    });
  },
};

// ─── notices ──────────────────────────────────────────────────────────────────────────────

export interface PublishNoticeVersion {
  type: 'PublishNoticeVersion';
  noticeId: string;
  version: number;
  language: string;
  text: string;
  controller: { name: string; contact: string };
  purposes: string[];
  recipients: string[];
  dataCategories: string[];
  retention: string;
  howToWithdraw: string;
  now: string;
  catalogue: CatalogueState;
}
export interface NoticeState {
  versions: ReadonlyArray<Pick<NoticeVersion, 'version' | 'textHash' | 'language' | 'purposes' | 'recipients' | 'dataCategories' | 'retention' | 'howToWithdraw'>>;
}
export type NoticeFailure = 'NOTICE_VERSION_EXISTS' | 'PURPOSE_NOT_FOUND' | 'RECIPIENT_NOT_FOUND' | 'VALIDATION_FAILED';

export const noticeDecider: Decider<PublishNoticeVersion, WithId<NoticeVersionPublishedEvent>, NoticeState, NoticeFailure> = {
  initialState: () => ({ versions: [] }),
  evolve: (state, event) => ({ versions: [...state.versions, event.data] }),
  decide: (command, state) => {
    const purposes = [...new Set(command.purposes)].sort();
    const recipients = [...new Set(command.recipients)].sort();
    const dataCategories = [...new Set(command.dataCategories)].sort();
    const unknownPurpose = purposes.find((id) => !command.catalogue.purposes.has(id));
    if (unknownPurpose) return reject('PURPOSE_NOT_FOUND', `purpose ${unknownPurpose} is not defined`, { field: 'body.purposes' });
    const unknownRecipient = recipients.find((id) => !command.catalogue.recipients.has(id));
    if (unknownRecipient) return reject('RECIPIENT_NOT_FOUND', `recipient ${unknownRecipient} is not registered`, { field: 'body.recipients' });
    const hash = noticeTextHash(command.text);
    const existing = state.versions[command.version - 1];
    if (existing) {
      const same =
        existing.textHash === hash &&
        existing.language === command.language &&
        sameList(existing.purposes, purposes) &&
        sameList(existing.recipients, recipients) &&
        sameList(existing.dataCategories, dataCategories) &&
        existing.retention === command.retention &&
        existing.howToWithdraw === command.howToWithdraw;
      if (same) return accept();
      return reject('NOTICE_VERSION_EXISTS', `notice ${command.noticeId} version ${command.version} is published and immutable`, {
        field: 'body.version',
      });
    }
    const next = state.versions.length + 1;
    if (command.version !== next)
      return reject('VALIDATION_FAILED', `the next version of notice ${command.noticeId} is ${next}`, { field: 'body.version' });
    return accept({
      type: 'NoticeVersionPublished',
      eventId: deterministicEventId('notice', command.noticeId, String(command.version)),
      data: {
        noticeId: command.noticeId,
        version: command.version,
        language: command.language,
        text: command.text,
        textHash: hash,
        purposes,
        recipients,
        dataCategories,
        retention: command.retention,
        howToWithdraw: command.howToWithdraw,
        publishedAt: command.now,
      },
      pii: { controller: command.controller },
    });
  },
};

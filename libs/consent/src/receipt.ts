import { CatalogueState, noticeVersion } from './catalogue';
import type { NoticeReference } from './consent.events';
import type { ConsentRecord } from './subject.decider';

/**
 * A consent receipt, returned on every grant and withdrawal. Top-level names are those of the
 * Kantara Consent Receipt v1.1 (`consentReceiptID`, `piiPrincipalId`, `piiControllers`,
 * `services[].purposes[]`, `piiCategory`, `thirdPartyName` …); the ISO/IEC TS 27560 record
 * notions that Kantara lacks (record state, the event that produced it, the notice cited) are
 * added under their 27560 names (`recordId`, `state`, `event`, `notice`).
 */
export interface ConsentReceipt {
  version: 'KI-CR-v1.1.0';
  consentReceiptID: string;
  /** Seconds since the epoch, as Kantara specifies. */
  consentTimestamp: number;
  collectionMethod: string;
  language: string;
  piiPrincipalId: string;
  piiControllers: Array<{ piiController: string | null; contact: string | null }>;
  policyUrl: string;
  services: Array<{
    service: string;
    purposes: Array<{
      purpose: string;
      purposeCategory: string[];
      consentType: 'EXPLICIT';
      piiCategory: string[];
      primaryPurpose: boolean;
      termination: string;
      thirdPartyDisclosure: boolean;
      thirdPartyName: string | null;
    }>;
  }>;
  sensitive: boolean;
  spiCat: string[];
  recordId: string;
  state: 'active' | 'withdrawn';
  event: { type: 'given' | 'withdrawn'; time: string };
  notice: NoticeReference;
  expiry: string | null;
}

export const consentReceipt = (
  subjectId: string,
  consent: ConsentRecord,
  catalogue: CatalogueState,
  event: { type: 'given' | 'withdrawn'; time: string; receiptId: string },
): ConsentReceipt => {
  const version = noticeVersion(catalogue, consent.notice.noticeId, consent.notice.version);
  const purpose = catalogue.purposes.get(consent.purposeId);
  const recipient = consent.recipientId === null ? undefined : catalogue.recipients.get(consent.recipientId);
  return {
    version: 'KI-CR-v1.1.0',
    consentReceiptID: event.receiptId,
    consentTimestamp: Math.floor(Date.parse(event.time) / 1000),
    collectionMethod: `${consent.collection.channel}:${consent.collection.surface}:${consent.collection.action.kind}`,
    language: consent.language,
    piiPrincipalId: subjectId,
    piiControllers: [{ piiController: version?.controller?.name ?? null, contact: version?.controller?.contact ?? null }],
    policyUrl: `urn:attest:notice:${consent.notice.noticeId}:${consent.notice.version}`,
    services: [
      {
        service: consent.purposeId,
        purposes: [
          {
            purpose: purpose?.description ?? consent.purposeId,
            purposeCategory: [consent.purposeId],
            consentType: 'EXPLICIT',
            piiCategory: [...consent.dataCategories],
            primaryPurpose: true,
            termination: consent.expiresAt ?? `until withdrawn: ${version?.howToWithdraw ?? 'withdraw at any time'}`,
            thirdPartyDisclosure: consent.recipientId !== null,
            thirdPartyName: recipient?.name ?? consent.recipientId,
          },
        ],
      },
    ],
    sensitive: consent.sensitive,
    spiCat: consent.sensitive ? [...consent.dataCategories] : [],
    recordId: consent.consentId,
    state: consent.withdrawn ? 'withdrawn' : 'active',
    event: { type: event.type, time: event.time },
    notice: consent.notice,
    expiry: consent.expiresAt,
  };
};

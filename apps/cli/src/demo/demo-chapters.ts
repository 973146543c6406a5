import { AUDIT_CHAPTERS } from './audit-chapters';
import { CONSENT_CHAPTERS } from './consent-chapters';
import { DemoChapter } from './demo-context';
import { LEDGER_CHAPTERS } from './ledger-chapters';

/**
 * EXTENSION POINT — chapters that follow the audit. Finance reconciling a settlement file with
 * one injected discrepancy goes here once the reconciliation feature (branch `recon`) is merged:
 * add a `DemoChapter` (id `settlement-reconciled`) that posts the file to the API and expects
 * exactly one discrepancy, plus its assertions in demo.int-spec.ts. Nothing else needs to change.
 */
export const DEMO_EXTENSION_CHAPTERS: readonly DemoChapter[] = [];

/** The story, in order: money first, then consent and shares, then proof. */
export const DEMO_CHAPTERS: readonly DemoChapter[] = [...LEDGER_CHAPTERS, ...CONSENT_CHAPTERS, ...AUDIT_CHAPTERS, ...DEMO_EXTENSION_CHAPTERS];

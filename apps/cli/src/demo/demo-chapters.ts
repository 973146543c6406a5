import { AUDIT_CHAPTERS } from './audit-chapters';
import { CONSENT_CHAPTERS } from './consent-chapters';
import { DemoChapter } from './demo-context';
import { LEDGER_CHAPTERS } from './ledger-chapters';
import { RECONCILIATION_CHAPTERS } from './reconciliation-chapters';

/** Chapters that follow the audit: finance reconciles the processor's file (one discrepancy). */
export const DEMO_EXTENSION_CHAPTERS: readonly DemoChapter[] = [...RECONCILIATION_CHAPTERS];

/** The story, in order: money first, then consent and shares, then proof. */
export const DEMO_CHAPTERS: readonly DemoChapter[] = [...LEDGER_CHAPTERS, ...CONSENT_CHAPTERS, ...AUDIT_CHAPTERS, ...DEMO_EXTENSION_CHAPTERS];

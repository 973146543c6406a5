/**
 * The one table that maps every stable error code to its HTTP status and title (STYLE §6).
 * Codes are part of the API contract: add, never rename. Feature errors are typed `Failure`s
 * (see @attest/decider) whose `code` must appear here; a test checks that.
 */
export const PROBLEM_CATALOG = {
  // Request shape (any endpoint)
  VALIDATION_FAILED: { status: 400, title: 'The request is not valid' },
  MALFORMED_JSON: { status: 400, title: 'The body is not valid JSON' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The body must be application/json' },
  BODY_TOO_LARGE: { status: 413, title: 'The body is too large' },
  NOT_FOUND: { status: 404, title: 'No such resource' },
  METHOD_NOT_ALLOWED: { status: 405, title: 'Method not allowed' },
  UNAUTHENTICATED: { status: 401, title: 'A valid bearer token is required' },
  FORBIDDEN: { status: 403, title: 'Not allowed for this caller' },
  RATE_LIMITED: { status: 429, title: 'Too many requests' },
  IDEMPOTENCY_KEY_REUSED: { status: 409, title: 'This idempotency key was used with a different request' },
  IDEMPOTENCY_KEY_IN_FLIGHT: { status: 409, title: 'A request with this idempotency key is still being processed' },
  CONCURRENCY_CONFLICT: { status: 409, title: 'The resource changed concurrently; retry' },
  PROJECTION_LAGGING: { status: 503, title: 'The read model has not caught up yet; retry shortly' },
  INVALID_EVENT: { status: 422, title: 'The resulting event does not match its schema' },
  INTERNAL_ERROR: { status: 500, title: 'Internal error' },
  SERVICE_UNAVAILABLE: { status: 503, title: 'Service unavailable' },

  // Ledger
  INSUFFICIENT_FUNDS: { status: 422, title: 'Insufficient funds' },
  AMOUNT_OUT_OF_RANGE: { status: 422, title: 'Amount out of the allowed range' },
  SELF_TIP: { status: 422, title: 'A user cannot tip themselves' },
  CURRENCY_MISMATCH: { status: 422, title: 'Currencies do not match' },
  UNSUPPORTED_CURRENCY: { status: 422, title: 'Currency not supported' },
  ALREADY_REVERSED: { status: 409, title: 'This entry was already reversed' },
  NOT_REVERSIBLE: { status: 422, title: 'This entry cannot be reversed' },
  HOLD_ALREADY_RESOLVED: { status: 409, title: 'This hold was already resolved' },
  HOLD_NOT_FOUND: { status: 404, title: 'No such hold' },
  HOLD_NOT_EXPIRED: { status: 422, title: 'The hold has not expired yet' },
  PAYOUT_NOT_FOUND: { status: 404, title: 'No such payout' },
  PAYOUT_ALREADY_COMPLETED: { status: 409, title: 'This payout was already settled or failed' },
  DUPLICATE_EXTERNAL_REFERENCE: { status: 409, title: 'This processor reference was already recorded' },
  WALLET_NOT_FOUND: { status: 404, title: 'No such wallet' },
  ENTRY_NOT_FOUND: { status: 404, title: 'No such ledger entry' },
  NEGATIVE_BALANCE_NOT_FORCED: { status: 422, title: 'The reversal would make a wallet negative' },
  DAY_ALREADY_CLOSED: { status: 409, title: 'This day is already closed' },

  // Consent
  PRE_TICKED_CONSENT: { status: 422, title: 'A pre-ticked box is not consent' },
  BUNDLED_CONSENT: { status: 422, title: 'Consent bundled with an unrelated agreement is not valid' },
  NOTICE_HASH_MISMATCH: { status: 422, title: 'The notice text hash does not match the cited version' },
  NOTICE_NOT_FOUND: { status: 404, title: 'No such notice version' },
  NOTICE_VERSION_EXISTS: { status: 409, title: 'This notice version is already published' },
  SEPARATE_CONSENT_REQUIRED: { status: 422, title: 'This purpose or recipient needs a separate, explicit action' },
  RECIPIENT_NOT_IN_NOTICE: { status: 422, title: 'The recipient is not named in the notice' },
  PURPOSE_NOT_IN_NOTICE: { status: 422, title: 'The purpose is not covered by the notice' },
  PURPOSE_NOT_FOUND: { status: 404, title: 'No such purpose' },
  RECIPIENT_NOT_FOUND: { status: 404, title: 'No such recipient' },
  CONSENT_NOT_FOUND: { status: 404, title: 'No such consent' },
  NO_CONSENT: { status: 403, title: 'No consent covers this share' },
  WITHDRAWN: { status: 403, title: 'The consent was withdrawn' },
  EXPIRED: { status: 403, title: 'The consent has expired' },
  PURPOSE_INCOMPATIBLE: { status: 403, title: 'The purpose is not compatible with the consented one' },
  RECIPIENT_NOT_COVERED: { status: 403, title: 'The consent does not cover this recipient' },
  NOTICE_OUTDATED: { status: 403, title: 'The notice changed since consent was given; new consent is needed' },
  SUBJECT_ERASED: { status: 410, title: 'The subject asked for erasure' },

  // Audit and reconciliation
  CHECKPOINT_NOT_FOUND: { status: 404, title: 'No such checkpoint' },
  TREE_SIZE_OUT_OF_RANGE: { status: 422, title: 'Tree size out of range' },
  EVENT_NOT_IN_LOG: { status: 404, title: 'The event is not in the log at that size' },
  SETTLEMENT_FILE_INVALID: { status: 422, title: 'The settlement file is not valid' },
  RECONCILIATION_RUN_NOT_FOUND: { status: 404, title: 'No such reconciliation run' },
} as const satisfies Record<string, { status: number; title: string }>;

export type ProblemCode = keyof typeof PROBLEM_CATALOG;

export const isProblemCode = (code: string): code is ProblemCode => Object.prototype.hasOwnProperty.call(PROBLEM_CATALOG, code);

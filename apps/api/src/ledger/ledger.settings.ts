import { AttestConfig } from '@attest/config';
import { AmountLimits, Currency, LimitsByCurrency, parseLimits } from '@attest/ledger';

/** Ledger settings, parsed once at start-up from the configuration (a bad value stops the API). */
export class LedgerSettings {
  readonly tipLimits: LimitsByCurrency;
  readonly commissionBasisPoints: number;
  readonly friendRequestHoldMs: number;
  readonly readYourWritesTimeoutMs: number;

  constructor(config: AttestConfig) {
    this.tipLimits = parseLimits(config.ledger.tipLimits);
    this.commissionBasisPoints = config.ledger.commissionBasisPoints;
    this.friendRequestHoldMs = config.ledger.friendRequestHoldSeconds * 1000;
    this.readYourWritesTimeoutMs = config.readYourWritesTimeoutMs;
  }

  limitsFor(currency: Currency): AmountLimits | undefined {
    return this.tipLimits[currency];
  }
}

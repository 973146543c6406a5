import { Injectable } from '@nestjs/common';
import { ExecuteResult, StreamCommandExecutor } from '@attest/decider';
import { AppendContext } from '@attest/event-store';
import {
  consentReceipt,
  ConsentReceipt,
  EraseSubject,
  GrantConsent,
  RequestDataShare,
  ShareRecord,
  shareKey,
  SubjectCommand,
  subjectDecider,
  SubjectState,
  SubjectStreamEvent,
  subjectStream,
  WithdrawConsent,
} from '@attest/consent';
import { problemFromFailure, ProblemException } from '@attest/http';
import { MetricsService } from '../metrics/metrics.service';
import { CatalogueService } from './catalogue.service';

export const SUBJECT_DECIDER = 'consent-subject';
const CATALOGUE_MISSES = new Set(['NOTICE_NOT_FOUND', 'PURPOSE_NOT_FOUND', 'RECIPIENT_NOT_FOUND']);

type WithoutCatalogue<C> = C extends { catalogue: unknown } ? Omit<C, 'catalogue'> : C;

export interface Outcome {
  /** Global position of the last event written, or null when nothing was (an idempotent repeat). */
  position: bigint | null;
  state: SubjectState;
}

/**
 * The thin shell around the subject decider: adds the catalogue snapshot to the command, runs
 * it through the executor (cached state, append with the stream revision read, bounded retry on
 * conflict), and turns an expected failure into a problem *after* its recorded events (a refused
 * consent, a refused share) were appended.
 */
@Injectable()
export class SubjectConsentService {
  constructor(
    private readonly executor: StreamCommandExecutor,
    private readonly catalogue: CatalogueService,
    private readonly metrics: MetricsService,
  ) {}

  private run(command: SubjectCommand, context: AppendContext): Promise<ExecuteResult<SubjectStreamEvent, SubjectState>> {
    return this.executor.execute({ decider: subjectDecider, deciderName: SUBJECT_DECIDER, streamId: subjectStream(command.subjectId), command, context });
  }

  /**
   * The command with this process's catalogue snapshot, which always wins over anything the
   * command carries. `Object.assign`, not `{ ...command, catalogue }`: on Node 20 a member added
   * after a spread gives every result a hidden class of its own (ADR 0022).
   */
  private withCatalogue<C extends GrantConsent | RequestDataShare>(command: WithoutCatalogue<C>): C {
    return Object.assign({}, command, { catalogue: this.catalogue.snapshot }) as C;
  }

  /** Runs a command that needs the catalogue; on a catalogue miss, catches up once and decides again. */
  private async runWithCatalogue<C extends GrantConsent | RequestDataShare>(command: WithoutCatalogue<C>, context: AppendContext): Promise<Outcome> {
    let result = await this.run(this.withCatalogue<C>(command), context);
    if (result.decision.kind === 'rejected' && CATALOGUE_MISSES.has(result.decision.failure.code)) {
      await this.catalogue.refresh();
      result = await this.run(this.withCatalogue<C>(command), context);
    }
    return this.outcome(result);
  }

  /**
   * A fresh object on every call: the public methods add their members to it with `Object.assign`,
   * not `{ ...outcome, … }`, which on Node 20 gives every result a hidden class of its own (ADR 0022).
   */
  private outcome(result: ExecuteResult<SubjectStreamEvent, SubjectState>): Outcome {
    if (result.decision.kind === 'rejected') throw problemFromFailure(result.decision.failure);
    return { position: result.append?.lastPosition ?? null, state: result.state };
  }

  async grant(command: WithoutCatalogue<GrantConsent>, context: AppendContext): Promise<Outcome & { receipt: ConsentReceipt; consentEventId: string }> {
    const outcome = await this.runWithCatalogue<GrantConsent>(command, context);
    const consent = outcome.state.consents.get(command.consentId);
    if (!consent) throw new Error(`consent ${command.consentId} missing after an accepted grant`);
    return Object.assign(outcome, {
      consentEventId: consent.eventId,
      receipt: consentReceipt(command.subjectId, consent, this.catalogue.snapshot, { type: 'given', time: consent.grantedAt, receiptId: consent.consentId }),
    });
  }

  async withdraw(command: WithdrawConsent, context: AppendContext): Promise<Outcome & { withdrawn: string[]; notified: string[]; receipts: ConsentReceipt[] }> {
    const result = await this.run(command, context);
    const outcome = this.outcome(result);
    const withdrawn = [...(outcome.state.withdrawals.get(command.withdrawalId) ?? [])];
    const catalogue = this.catalogue.snapshot;
    const receipts = withdrawn.flatMap((consentId) => {
      const consent = outcome.state.consents.get(consentId);
      if (!consent?.withdrawn) return [];
      return [
        consentReceipt(command.subjectId, consent, catalogue, {
          type: 'withdrawn',
          time: consent.withdrawn.withdrawnAt,
          receiptId: `${command.withdrawalId}.${consentId}`,
        }),
      ];
    });
    const notified = result.decision.events.flatMap((e) => (e.type === 'WithdrawalNotificationIssued' ? [e.data.recipientId] : []));
    return Object.assign(outcome, { withdrawn, notified, receipts });
  }

  /**
   * The share gate every data read goes through (partner shares now, credit features later):
   * the outcome is recorded either way, `DataShared` or `DataShareRefused`, on the subject's
   * stream with optimistic concurrency. Throws the refusal as a problem (403 + reason code).
   */
  async requestShare(command: WithoutCatalogue<RequestDataShare>, context: AppendContext): Promise<Outcome & { share: ShareRecord }> {
    let outcome: Outcome;
    try {
      outcome = await this.runWithCatalogue<RequestDataShare>(command, context);
    } catch (error) {
      if (error instanceof ProblemException) this.metrics.shareDecisions.inc({ outcome: error.code });
      throw error;
    }
    this.metrics.shareDecisions.inc({ outcome: 'shared' });
    const share = outcome.state.shares.get(shareKey(command.recipientId, command.shareId));
    if (!share) throw new Error(`share ${command.shareId} missing after an accepted share`);
    return Object.assign(outcome, { share });
  }

  /** Withdraws everything and records SubjectErased, in one append (idempotent by erasure id and state). */
  async erase(command: EraseSubject, context: AppendContext): Promise<Outcome & { withdrawn: string[]; notified: string[]; alreadyErased: boolean }> {
    const before = await this.state(command.subjectId);
    const result = await this.run(command, context);
    const outcome = this.outcome(result);
    const events = result.decision.events;
    return Object.assign(outcome, {
      alreadyErased: before.erased !== null,
      withdrawn: events.flatMap((e) => (e.type === 'ConsentWithdrawn' ? [e.data.consentId] : [])),
      notified: events.flatMap((e) => (e.type === 'WithdrawalNotificationIssued' ? [e.data.recipientId] : [])),
    });
  }

  /** The decider's current view of a subject (cached by the executor). */
  async state(subjectId: string): Promise<SubjectState> {
    return (await this.executor.load(SUBJECT_DECIDER, subjectDecider, subjectStream(subjectId))).state;
  }
}

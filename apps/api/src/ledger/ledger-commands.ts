import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Actor, actorLabel } from '@attest/auth';
import { StreamCommandExecutor } from '@attest/decider';
import { DuplicateEventId, EventStore, RecordedEvent } from '@attest/event-store';
import { isProblemCode, PROBLEM_CONTENT_TYPE, problemDetails, ProblemException } from '@attest/http';
import { deterministicId, Idempotency, IdempotencyKeyReused } from '@attest/idempotency';
import {
  Currency,
  EntryEvent,
  isEntryEvent,
  mirrorOf,
  WALLET_DECIDER_NAME,
  walletDecider,
  WalletCommand,
  WalletEvent,
  walletStreamId,
} from '@attest/ledger';
import { ProjectionRunner } from '@attest/projection-runner';
import { BALANCES_PROJECTION } from '@attest/projections/balances/balances.projection';
import { findEntry } from '@attest/projections/balances/balances.queries';
import { Inject } from '@nestjs/common';
import { ReadModelStore } from '@attest/projection-runner';
import { READ_MODEL_STORE } from '../infrastructure/infrastructure.module';
import { idempotencyKeyOf } from '../idempotency/idempotency.module';
import { MetricsService } from '../metrics/metrics.service';
import { LedgerSettings } from './ledger.settings';
import { entryToWire } from './wire';

/** How far back a retried command looks for the entry it already wrote (bounded). */
const RECOVERY_SCAN_EVENTS_MAX = 1_000;

export interface LedgerCommandInput {
  /** Names the use case; the idempotency scope and the seed of the entry id. */
  scope: string;
  request: FastifyRequest;
  reply: FastifyReply;
  actor: Actor;
  /** The validated body's own key (if any); the header is read from the request. */
  bodyKey: string | undefined;
  /** What "the same request" means: the raw body without its key, and the path parameters. */
  fingerprint: unknown;
  /** The wallet whose rules decide, and the command, given the entry id derived from the key. */
  build: (entryId: string) => { wallet: { userId: string; currency: Currency }; command: WalletCommand };
  successStatus: 200 | 201;
}

/**
 * The one path every ledger command takes: idempotency (auth and validation already passed),
 * decide on the wallet stream with its revision, append the entry with the other wallet's
 * mirror atomically, answer — and store the answer under the key. Expected refusals are answered
 * as problem details *and stored*, so a retry gets the same refusal; anything thrown stores
 * nothing and the client may retry safely (event ids come from the key).
 */
@Injectable()
export class LedgerCommands {
  constructor(
    private readonly executor: StreamCommandExecutor,
    private readonly store: EventStore,
    private readonly idempotency: Idempotency,
    private readonly runner: ProjectionRunner,
    private readonly settings: LedgerSettings,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
    private readonly metrics: MetricsService,
  ) {}

  async run(input: LedgerCommandInput): Promise<void> {
    const key = idempotencyKeyOf(input.request.headers, input.bodyKey);
    const result = await this.idempotency
      .run(input.scope, key, input.fingerprint, async () => {
        const entryId = deterministicId(input.scope, key);
        const { wallet, command } = input.build(entryId);
        return this.execute(input, entryId, wallet, command);
      })
      .catch((error: unknown) => {
        if (error instanceof IdempotencyKeyReused)
          throw new ProblemException('IDEMPOTENCY_KEY_REUSED', `idempotency key ${key} was already used with a different request`, {
            errors: [{ path: 'headers.idempotency-key', code: 'IDEMPOTENCY_KEY_REUSED', message: 'already used with a different request' }],
          });
        throw error;
      });
    const isProblem = result.status >= 400;
    if (input.scope === 'ledger.tip') this.metrics.tips.inc({ outcome: isProblem ? String((result.body as { code?: unknown }).code ?? result.status) : 'accepted' });
    void input.reply
      .status(result.status)
      .header('content-type', isProblem ? PROBLEM_CONTENT_TYPE : 'application/json; charset=utf-8')
      .header('idempotent-replayed', String(result.replayed))
      .send(JSON.stringify(result.body));
  }

  private async execute(input: LedgerCommandInput, entryId: string, wallet: { userId: string; currency: Currency }, command: WalletCommand) {
    const streamId = walletStreamId(wallet.userId, wallet.currency);
    try {
      const { decision, append } = await this.executor.execute({
        decider: walletDecider,
        deciderName: WALLET_DECIDER_NAME,
        streamId,
        command,
        context: { actor: actorLabel(input.actor), correlationId: input.request.id },
        alongside: (events: WalletEvent[]) =>
          events.flatMap((event) => {
            const mirror = mirrorOf(event);
            // A credit cannot break the other wallet's rules: no revision check (docs/adr/0008).
            return mirror ? [{ streamId: walletStreamId(mirror.userId, mirror.currency), expectedRevision: 'any' as const, events: [mirror.event] }] : [];
          }),
        evolveAlongside: true,
      });
      if (decision.kind === 'rejected') {
        const { failure } = decision;
        const code = isProblemCode(failure.code) ? failure.code : 'INTERNAL_ERROR';
        const body = problemDetails(code, failure.detail, {
          // Context first, so it can never override a standard member (status, code…).
          ...(failure.context ?? {}),
          ...(failure.field ? { errors: [{ path: failure.field, code: failure.code, message: failure.detail }] } : {}),
          instance: input.request.url.split('?')[0],
        });
        return { status: body.status, body };
      }
      const [event] = decision.events;
      if (!event || !isEntryEvent(event) || !append) throw new Error('an accepted ledger command writes exactly one entry');
      // The entry's own position (its mirror, when there is one, comes right after it).
      return { status: input.successStatus, body: entryToWire(event, append.streams[0]?.positions[0] ?? append.lastPosition) };
    } catch (error) {
      if (error instanceof DuplicateEventId) return { status: input.successStatus, body: await this.recover(streamId, entryId) };
      throw error;
    }
  }

  /**
   * The entry of this key is already stored but its answer was not recorded (a crash in between,
   * or another process ran the same key): rebuild the answer from the stored entry.
   */
  private async recover(streamId: string, entryId: string): Promise<Record<string, unknown>> {
    for await (const event of this.store.readStream<RecordedEvent>(streamId, { direction: 'backwards', limit: RECOVERY_SCAN_EVENTS_MAX })) {
      const candidate = event as unknown as WalletEvent & RecordedEvent;
      if (event.eventId === entryId && isEntryEvent(candidate)) return entryToWire(candidate as EntryEvent, event.globalPosition);
    }
    throw new ProblemException('IDEMPOTENCY_KEY_IN_FLIGHT', 'a command with this idempotency key was applied but its answer cannot be rebuilt; contact support', {
      headers: { 'retry-after': '1' },
    });
  }

  /**
   * An existing entry (a hold, a payout, a tip to reverse) by id, after the balances projection
   * has caught up with everything acknowledged so far (read-your-writes, bounded).
   */
  async entry(entryId: string) {
    await this.runner.waitFor(BALANCES_PROJECTION, await this.store.headPosition(), this.settings.readYourWritesTimeoutMs);
    return findEntry(this.readModels.query, entryId);
  }

  /** Waits until the balances read model includes everything acknowledged so far. */
  async caughtUp(): Promise<void> {
    await this.runner.waitFor(BALANCES_PROJECTION, await this.store.headPosition(), this.settings.readYourWritesTimeoutMs);
  }
}

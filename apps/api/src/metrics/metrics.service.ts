import { Injectable, OnModuleInit } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { EventStore, SqliteEventStore } from '@attest/event-store';
import { ProjectionRunner } from '@attest/projection-runner';
import { StreamCommandExecutor } from '@attest/decider';

/**
 * Prometheus metrics (prom-client). HTTP metrics come from a Fastify hook (bootstrap.ts), store
 * metrics from the event store's observers, projection lag is computed at scrape time; feature
 * code counts its outcomes through `tips` and `shareDecisions`.
 */
@Injectable()
export class MetricsService implements OnModuleInit {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'attest_http_requests_total',
    help: 'HTTP requests by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
    name: 'attest_http_request_duration_seconds',
    help: 'HTTP request latency by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });
  readonly appendDuration = new Histogram({
    name: 'attest_event_store_append_duration_seconds',
    help: 'Event-store append latency (validation, queueing, group commit) by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers: [this.registry],
  });
  readonly groupCommitSize = new Histogram({
    name: 'attest_event_store_group_commit_appends',
    help: 'Appends written per group-commit transaction (embedded store)',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024],
    registers: [this.registry],
  });
  readonly tips = new Counter({
    name: 'attest_tips_total',
    help: 'Tip commands by outcome (accepted or the rejection code)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly shareDecisions = new Counter({
    name: 'attest_share_decisions_total',
    help: 'Data-share decisions by outcome (shared or the refusal reason)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  constructor(
    private readonly store: EventStore,
    private readonly runner: ProjectionRunner,
    private readonly executor: StreamCommandExecutor,
  ) {}

  onModuleInit(): void {
    collectDefaultMetrics({ register: this.registry, prefix: 'attest_' });
    this.store.onAppend((o) => this.appendDuration.observe({ outcome: o.outcome }, o.durationMs / 1000));
    if (this.store.adapter instanceof SqliteEventStore) this.store.adapter.onGroupCommit((n) => this.groupCommitSize.observe(n));
    const store = this.store;
    const runner = this.runner;
    const executor = this.executor;
    // The executor keeps running totals (an integer increment on the command path, no label
    // hashing per command); the counter takes what they grew by since the last scrape.
    const counted = new Map<string, number>();
    new Counter({
      name: 'attest_decider_state_loads_total',
      help: "Decider states loaded for a command, by decider and source: the executor's cache, or read and folded from the store (a stream not cached, evicted or conflicting)",
      labelNames: ['decider', 'source'] as const,
      registers: [this.registry],
      collect() {
        for (const [decider, loads] of executor.stateLoads())
          for (const source of ['cache', 'store'] as const) {
            const key = `${decider}|${source}`;
            const grown = loads[source] - (counted.get(key) ?? 0);
            counted.set(key, loads[source]);
            if (grown > 0) this.inc({ decider, source }, grown);
          }
      },
    });
    new Gauge({
      name: 'attest_projection_lag_events',
      help: 'Events between the store head and what each projection has applied',
      labelNames: ['projection'] as const,
      registers: [this.registry],
      async collect() {
        const head = await store.headPosition();
        for (const status of runner.status()) this.set({ projection: status.name }, Number(head - status.position));
      },
    });
    new Gauge({
      name: 'attest_projection_lag_seconds',
      help: 'Age of the last event each projection applied, when it is behind the head (0 when caught up)',
      labelNames: ['projection'] as const,
      registers: [this.registry],
      async collect() {
        const head = await store.headPosition();
        for (const status of runner.status()) {
          const behind = status.position < head && status.lastEventAt !== null;
          this.set({ projection: status.name }, behind ? (Date.now() - Date.parse(status.lastEventAt ?? '')) / 1000 : 0);
        }
      },
    });
  }
}

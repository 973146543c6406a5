import { DynamicModule, Global, Inject, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AttestConfig } from '@attest/config';
import { StreamCommandExecutor } from '@attest/decider';
import { EventRegistry, EventStore, SqliteEventStore } from '@attest/event-store';
import { ProjectionRunner, ReadModelStore } from '@attest/projection-runner';
import { AesGcmPiiProtector, SubjectKeyStore } from '@attest/crypto-shredding';
import { ProjectionWorkerHost } from './projection-worker/projection-worker.host';
import { ReadSide } from './read-side';
import { createEventStoreAdapter, createReadModelStore, createSubjectKeyStore } from './store.factory';

export const ATTEST_CONFIG = Symbol('ATTEST_CONFIG');
export const READ_MODEL_STORE = Symbol('READ_MODEL_STORE');
export const SUBJECT_KEY_STORE = Symbol('SUBJECT_KEY_STORE');
/** The ProjectionWorkerHost with ATTEST_PROJECTIONS=worker, else null. */
export const PROJECTION_WORKER = Symbol('PROJECTION_WORKER');

/**
 * The shared machinery every feature module uses: config, the event registry, the event store,
 * the read-model store, the projection runner and the command executor.
 *
 * Feature modules register their event types and projections in `onModuleInit`; this module
 * starts the projections in `onApplicationBootstrap`, which Nest runs after every
 * `onModuleInit`, and closes everything on shutdown.
 */
@Global()
@Module({})
export class InfrastructureModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Infrastructure');

  constructor(
    private readonly runner: ProjectionRunner,
    private readonly store: EventStore,
    @Inject(READ_MODEL_STORE) private readonly readModels: ReadModelStore,
    @Inject(ATTEST_CONFIG) private readonly config: AttestConfig,
    @Inject(SUBJECT_KEY_STORE) private readonly keys: SubjectKeyStore,
  ) {}

  static forRoot(config: AttestConfig): DynamicModule {
    return {
      module: InfrastructureModule,
      providers: [
        { provide: ATTEST_CONFIG, useValue: config },
        { provide: EventRegistry, useValue: new EventRegistry() },
        { provide: SUBJECT_KEY_STORE, useFactory: () => createSubjectKeyStore(config) },
        {
          provide: EventStore,
          inject: [EventRegistry, SUBJECT_KEY_STORE],
          useFactory: async (registry: EventRegistry, keys: SubjectKeyStore) =>
            new EventStore(await createEventStoreAdapter(config), registry, config.piiEncryption ? new AesGcmPiiProtector(keys) : null),
        },
        { provide: READ_MODEL_STORE, useFactory: () => createReadModelStore(config) },
        {
          // Projections (and read-side queries) on a worker thread (docs/adr/0021), or none.
          provide: PROJECTION_WORKER,
          inject: [EventStore],
          useFactory: (store: EventStore): ProjectionWorkerHost | null => {
            if (config.projections !== 'worker') return null;
            if (!(store.adapter instanceof SqliteEventStore)) throw new Error('ATTEST_PROJECTIONS=worker needs the embedded store');
            return new ProjectionWorkerHost(config, store.adapter);
          },
        },
        {
          provide: ProjectionRunner,
          inject: [EventStore, READ_MODEL_STORE, PROJECTION_WORKER],
          // With a worker the runner is `remote`; `worker` never reaches here without one.
          useFactory: (store: EventStore, readModels: ReadModelStore, worker: ProjectionWorkerHost | null) =>
            new ProjectionRunner(store, readModels, config.projections === 'external' ? 'external' : 'inline', 25, config.projectionLingerMs, worker),
        },
        {
          provide: ReadSide,
          inject: [ProjectionRunner, READ_MODEL_STORE, PROJECTION_WORKER],
          useFactory: (runner: ProjectionRunner, readModels: ReadModelStore, worker: ProjectionWorkerHost | null) => new ReadSide(runner, readModels.query, worker),
        },
        { provide: StreamCommandExecutor, inject: [EventStore], useFactory: (store: EventStore) => new StreamCommandExecutor(store) },
      ],
      exports: [ATTEST_CONFIG, EventRegistry, EventStore, READ_MODEL_STORE, SUBJECT_KEY_STORE, ProjectionRunner, ReadSide, StreamCommandExecutor],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    this.runner.onProjectionFailure((name, error) => this.logger.error(`projection ${name} stopped: ${String(error)}`));
    await this.runner.start();
    if (!this.config.projectionWorker)
      this.logger.log(`event store: ${this.store.kind}; projections (${this.config.projections}): ${this.runner.names.join(', ') || 'none'} (mode ${this.config.mode})`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
    await this.store.close();
    await this.readModels.close();
    await this.keys.close();
  }
}

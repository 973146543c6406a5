import { Injectable } from '@nestjs/common';
import { EventStore, RecordedEvent } from '@attest/event-store';
import { CATALOGUE_EVENT_TYPES, CatalogueEvent, CatalogueState, emptyCatalogue, evolveCatalogue } from '@attest/consent';

/**
 * The catalogue in memory, as one immutable snapshot handed to deciders inside commands. It is
 * folded from the catalogue's events (few, rarely written) at start-up and caught up from the
 * store after every catalogue write and whenever a lookup misses, so a notice published by
 * another process is seen at the latest on the first request that needs it (see docs/adr/0012-consent-model.md).
 */
@Injectable()
export class CatalogueService {
  private state: CatalogueState = emptyCatalogue();
  private position = 0n;
  private catchingUp: Promise<void> | null = null;

  constructor(private readonly store: EventStore) {}

  get snapshot(): CatalogueState {
    return this.state;
  }

  /** Applies every catalogue event stored after the last one seen. Concurrent callers share one read. */
  refresh(): Promise<void> {
    this.catchingUp ??= this.catchUp().finally(() => {
      this.catchingUp = null;
    });
    return this.catchingUp;
  }

  private async catchUp(): Promise<void> {
    for await (const event of this.store.readAll<RecordedEvent>({ fromPosition: this.position + 1n, types: CATALOGUE_EVENT_TYPES })) {
      this.state = evolveCatalogue(this.state, event as unknown as CatalogueEvent);
      this.position = event.globalPosition;
    }
  }
}

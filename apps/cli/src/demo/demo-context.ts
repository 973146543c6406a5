import { AttestConfig } from '@attest/config';
import { Role } from '@attest/auth';
import { EventStore, RecordedEvent } from '@attest/event-store';
import { DemoHttp } from './demo-http';
import { DemoStepOutcome } from './demo-step';

/** What later steps need from earlier ones. */
export interface DemoState {
  /** The first tip's global position: the event a tamperer later edits. */
  firstTipPosition: bigint | null;
  /** Where the exported bundle was saved (inside the demo's data directory). */
  bundlePath: string | null;
}

/** Everything a step may use: the API over HTTP, tokens, and the store (to show what was recorded). */
export interface DemoContext {
  http: DemoHttp;
  token: (role: Role, id: string, recipientId?: string) => Promise<string>;
  /** A fresh idempotency key. */
  key: () => string;
  config: AttestConfig;
  store: EventStore;
  state: DemoState;
}

export interface DemoChapter {
  id: string;
  title: string;
  run: (context: DemoContext) => Promise<DemoStepOutcome>;
}

/** The events of one stream, in order (the demo shows what the API recorded). */
export const streamEvents = async (store: EventStore, streamId: string): Promise<RecordedEvent[]> => {
  const events: RecordedEvent[] = [];
  for await (const event of store.readStream(streamId)) events.push(event);
  return events;
};

import { z } from 'zod';
import { bigintString } from '../codecs';
import { defineEvent, EventRegistry } from '../event-registry';

/** Event types used by the contract suite and the store benchmarks only. */
export const TestCounted = defineEvent({
  type: 'TestCounted',
  schemaVersion: 1,
  description: 'A counter moved (contract-suite event).',
  data: z.strictObject({ by: bigintString, note: z.string().max(200).optional() }),
});

export const TestRenamed = defineEvent({
  type: 'TestRenamed',
  schemaVersion: 2,
  description: 'A thing was renamed; version 1 called the field `title` (upcasting test).',
  data: z.strictObject({ name: z.string().min(1) }),
  pii: z.strictObject({ displayName: z.string() }),
  piiOwner: (data) => data.name,
  upcast: { 1: (old) => ({ name: old['title'] ?? '' }) },
});

export const testRegistry = () => new EventRegistry().register(TestCounted, TestRenamed);

export const counted = (by: bigint, eventId?: string) => ({ type: 'TestCounted', data: { by }, ...(eventId ? { eventId } : {}) });

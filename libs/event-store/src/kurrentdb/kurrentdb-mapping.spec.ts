import { ANY, NO_STREAM, START, STREAM_EXISTS, WrongExpectedVersionError } from '@kurrent/kurrentdb-client';
import { NewEvent } from '../envelope';
import { WrongExpectedRevision } from '../errors';
import {
  ATTEST_EVENT_TYPE_REGEX,
  CLAIM_EVENT_TYPE,
  fromCurrentState,
  fromKurrentEvent,
  fromStreamState,
  toGlobalPosition,
  toKurrentBody,
  toReadPosition,
  toStreamState,
  toWrongExpectedRevision,
} from './kurrentdb-mapping';

const event: NewEvent = {
  eventId: '0190f2a0-0000-7000-8000-000000000001',
  type: 'TestCounted',
  schemaVersion: 1,
  data: { by: '12' },
  pii: { displayName: 'x' },
  metadata: { recordedAt: '2026-01-01T00:00:00.000Z', correlationId: 'corr', causationId: null, actor: 'subject:1' },
};

describe('KurrentDB mapping (no server)', () => {
  it('maps every expected revision to the client stream state and back', () => {
    expect(toStreamState('any')).toBe(ANY);
    expect(toStreamState('noStream')).toBe(NO_STREAM);
    expect(toStreamState('streamExists')).toBe(STREAM_EXISTS);
    expect(toStreamState(0n)).toBe(0n);
    expect(toStreamState(9_007_199_254_740_993n)).toBe(9_007_199_254_740_993n);
    expect(() => toStreamState(-1n)).toThrow(RangeError);
    for (const expected of ['any', 'noStream', 'streamExists', 0n, 41n] as const) expect(fromStreamState(toStreamState(expected))).toBe(expected);
    expect(fromCurrentState(NO_STREAM)).toBe('noStream');
    expect(fromCurrentState(7n)).toBe(7n);
  });

  it('maps WrongExpectedVersionError to WrongExpectedRevision, keeping what we expected', () => {
    const error = new WrongExpectedVersionError(undefined, { streamName: 'wallet-1', expected: 3n, current: 5n });
    const mapped = toWrongExpectedRevision(error);
    expect(mapped).toBeInstanceOf(WrongExpectedRevision);
    expect(mapped).toMatchObject({ code: 'WRONG_EXPECTED_REVISION', streamId: 'wallet-1', expected: 3n, actual: 5n });
    const missing = toWrongExpectedRevision(new WrongExpectedVersionError(undefined, { streamName: 's', expected: STREAM_EXISTS, current: NO_STREAM }));
    expect(missing).toMatchObject({ expected: 'streamExists', actual: 'noStream' });
    expect(toWrongExpectedRevision(new WrongExpectedVersionError(undefined, { streamName: 's', expected: ANY, current: 1n }), 'noStream')).toMatchObject({
      expected: 'noStream',
    });
    expect(toWrongExpectedRevision(new Error('other'))).toBeNull();
  });

  it('encodes the global position as the commit position and resumes from it', () => {
    expect(toGlobalPosition({ commit: 1_234n, prepare: 1_234n })).toBe(1_234n);
    expect(toReadPosition(0n)).toBe(START);
    expect(toReadPosition(1_234n)).toEqual({ commit: 1_234n, prepare: 1_234n });
    expect(() => toReadPosition(-1n)).toThrow(RangeError);
  });

  it('round-trips the envelope through a KurrentDB event body and skips events Attest did not write', () => {
    const body = toKurrentBody(event);
    const stored = fromKurrentEvent({ streamId: 's', id: event.eventId, type: event.type, revision: 4n, isJson: true, data: JSON.parse(JSON.stringify(body)), position: { commit: 99n, prepare: 99n } });
    expect(stored).toEqual({ ...event, streamId: 's', streamRevision: 4n, globalPosition: 99n });
    const foreign = { streamId: 's', id: 'x', type: 'Other', revision: 0n, isJson: true, data: { hello: 1 }, position: { commit: 1n, prepare: 1n } };
    expect(fromKurrentEvent(foreign)).toBeNull();
    expect(fromKurrentEvent({ ...foreign, isJson: false, data: new Uint8Array() })).toBeNull();
  });

  it('filters system events and id claims out of $all on the server', () => {
    const filter = new RegExp(ATTEST_EVENT_TYPE_REGEX);
    expect(filter.test('TestCounted')).toBe(true);
    expect(filter.test('ConsentGiven')).toBe(true);
    expect(filter.test('$metadata')).toBe(false);
    expect(filter.test('$>')).toBe(false);
    expect(filter.test(CLAIM_EVENT_TYPE)).toBe(false);
    expect(filter.test(`${CLAIM_EVENT_TYPE}Extra`)).toBe(true);
  });
});

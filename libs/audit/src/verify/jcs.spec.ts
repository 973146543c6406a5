import canonicalize from 'canonicalize';
import { seededRandom } from '../../../../test/support/random';
import { randomJson } from '../testing/random-json';
import { jcs } from './jcs';

/*
 * The hand-written serializer against the `canonicalize` library (the oracle, by an RFC 8785
 * author) and against the RFC's own examples. Any difference would change leaf hashes.
 */
const same = (value: unknown) => expect(jcs(value)).toBe(canonicalize(value));

describe('jcs (RFC 8785)', () => {
  it('gives the RFC 8785 §3.2.3 example exactly', () => {
    const input =
      '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}';
    expect(jcs(JSON.parse(input))).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('sorts keys by UTF-16 code units (RFC 8785 §3.2.3), not by code point', () => {
    const value = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
    const keys = Object.keys(JSON.parse(jcs(value)) as object);
    // Object.keys lists the integer-like '1' first whatever the text says: compare the text order.
    expect(jcs(value)).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign","\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
    );
    expect(keys).toHaveLength(7);
    same(value);
  });

  it('writes numbers as ECMAScript does (RFC 8785 Appendix B)', () => {
    const cases: [string, string][] = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [bits, text] of cases) {
      const value = Buffer.from(bits, 'hex').readDoubleBE(0);
      expect(jcs(value)).toBe(text);
      expect(jcs([value])).toBe(`[${text}]`);
    }
    expect(() => jcs(NaN)).toThrow('NaN is not allowed');
    expect(() => jcs({ a: Infinity })).toThrow('Infinity is not allowed');
    expect(() => jcs([-Infinity])).toThrow('Infinity is not allowed');
  });

  it('escapes strings as JSON.stringify does: quotes, backslashes, controls, lone surrogates', () => {
    const strings = ['', 'plain', '"', '\\', '\u0000', '\u001f', '\u007f', '\b\f\n\r\t', '\u2028\u2029', '\ud800', '\udfff', 'a\ud83d', '\ude00b', '\ud83d\ude00', 'é€', '</script>'];
    for (const s of strings) {
      expect(jcs(s)).toBe(JSON.stringify(s));
      same({ [s]: s, list: [s, { [s]: [s] }] });
    }
  });

  it('handles what the library handles: nesting, empties, toJSON, undefined members, integer-like and __proto__ keys', () => {
    same({});
    same([]);
    same({ a: {}, b: [], c: [[]], d: [{}], e: { f: { g: { h: [1, [2, [3]]] } } } });
    same({ b: 1, a: 2, c: { z: null, y: true, x: false } });
    same({ 10: 'ten', 2: 'two', 1: 'one', a: 'a', ' ': 'space', '': 'empty' });
    same({ when: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)) });
    // toJSON as JSON.stringify reads it (the library's `instanceof Function` misses a Buffer from another realm, as under jest).
    expect(jcs({ bytes: Buffer.from('hi') })).toBe(JSON.stringify({ bytes: { data: [104, 105], type: 'Buffer' } }));
    same({ a: undefined, b: 1, c: Symbol('s') });
    same([undefined, Symbol('s'), 1]);
    same(JSON.parse('{"__proto__":{"x":1},"a":2}'));
    same(JSON.parse('{"b":1,"a":{"__proto__":[1]}}'));
    expect(() => jcs({ a: 1n })).toThrow(TypeError);
    expect(() => jcs({ a: () => 1 })).toThrow(TypeError);
  });

  it('does not depend on key order, and objects of one shape in different orders agree', () => {
    expect(jcs({ a: 1, b: 2, c: 3 })).toBe(jcs({ c: 3, a: 1, b: 2 }));
    expect(jcs({ b: 2, c: 3, a: 1 })).toBe('{"a":1,"b":2,"c":3}');
    // Same first key, different key sets: the shape cache must tell them apart.
    for (let n = 1; n < 30; n++) {
      const object: Record<string, number> = { first: 0 };
      for (let i = n; i > 0; i--) object[`k${i}`] = i;
      same(object);
    }
    // Far more shapes than the cache keeps.
    for (let i = 0; i < 10_000; i++) same({ [`x${i}`]: i, [`w${i % 7}`]: [i], a: i % 2 === 0 ? null : { [`y${i}`]: 1 } });
  });

  it('agrees with the canonicalize library on 20,000 seeded random values', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const json = randomJson(seededRandom(seed), { maxDepth: 5, maxWidth: 7 });
      for (let i = 0; i < 1_000; i++) {
        const value = i % 2 === 0 ? json.object() : json.value();
        const expected = canonicalize(value);
        if (jcs(value) !== expected) throw new Error(`seed ${seed} value ${i}: ${JSON.stringify(value)} gives ${jcs(value)}, library ${expected}`);
      }
    }
  });
});

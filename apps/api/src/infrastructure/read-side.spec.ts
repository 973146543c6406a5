import { jsonWithFields } from './read-side';

describe('jsonWithFields: a read-side answer (JSON text) with fields added, without parsing it', () => {
  it('puts the fields in front of the object and keeps every value of both', () => {
    const joined = jsonWithFields('{"subjectId":"u1","currencies":[{"currency":"CNY"}]}', { purposeId: 'credit-scoring', share: { position: '12' } });
    expect(joined).toBe('{"purposeId":"credit-scoring","share":{"position":"12"},"subjectId":"u1","currencies":[{"currency":"CNY"}]}');
    expect(JSON.parse(joined)).toEqual({ purposeId: 'credit-scoring', share: { position: '12' }, subjectId: 'u1', currencies: [{ currency: 'CNY' }] });
  });

  it('joins empty objects on either side into valid JSON', () => {
    expect(JSON.parse(jsonWithFields('{}', { a: 1 }))).toEqual({ a: 1 });
    expect(JSON.parse(jsonWithFields('{"b":2}', {}))).toEqual({ b: 2 });
  });

  it('refuses text that is not a JSON object', () => {
    expect(() => jsonWithFields('[1,2]', { a: 1 })).toThrow(/JSON objects/);
  });
});

import { toPostgresPlaceholders } from './postgres-read-model-store';

describe('toPostgresPlaceholders', () => {
  it('numbers ? placeholders in order', () => {
    expect(toPostgresPlaceholders('INSERT INTO t (a, b) VALUES (?, ?) ON CONFLICT (a) DO UPDATE SET b = ?')).toBe(
      'INSERT INTO t (a, b) VALUES ($1, $2) ON CONFLICT (a) DO UPDATE SET b = $3',
    );
  });

  it('leaves ? alone inside strings, quoted identifiers, comments and dollar-quoted bodies', () => {
    const sql = `SELECT '?', 'it''s ?', "col?", E'a\\'?' -- what?
      /* really? */ FROM t WHERE x = ? AND y = $body$ ? $body$ AND z = $$?$$ AND w = ?`;
    expect(toPostgresPlaceholders(sql)).toBe(
      `SELECT '?', 'it''s ?', "col?", E'a\\'?' -- what?
      /* really? */ FROM t WHERE x = $1 AND y = $body$ ? $body$ AND z = $$?$$ AND w = $2`,
    );
  });

  it('refuses statements that already use $n', () => {
    expect(() => toPostgresPlaceholders('SELECT * FROM t WHERE a = $1 AND b = ?')).toThrow(/not \$n/);
  });
});

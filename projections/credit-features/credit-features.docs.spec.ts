import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RecordedEvent } from '@attest/event-store';
import { contributionOf, CONTRIBUTING_TYPES, CREDIT_FEATURE_DEFINITIONS_VERSION, FEATURE_DEFINITIONS } from './credit-features.definitions';

/**
 * docs/credit-features.md is what a partner reads to interpret an answer: it must describe the
 * definitions the code serves under the same `definitionsVersion`. Its tables are checked against
 * the definitions module, so a feature added, renamed, moved to another window or unit, or a
 * ledger event counted differently, fails here until the page says so too (and, if the meaning
 * changed, until the version is raised).
 */
const page = readFileSync(join(__dirname, '..', '..', 'docs', 'credit-features.md'), 'utf8');

/** The body rows of the markdown table whose header row starts with `| first |`, as trimmed cells. */
const tableAfter = (first: string): string[][] => {
  const lines = page.split('\n');
  const header = lines.findIndex((line) => line.startsWith(`| ${first} |`));
  if (header < 0) throw new Error(`docs/credit-features.md has no table headed "${first}"`);
  const rows: string[][] = [];
  for (const line of lines.slice(header + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(line.split('|').slice(1, -1).map((cell) => cell.trim()));
  }
  return rows;
};

const unquote = (cell: string): string => cell.replace(/`/g, '');

describe('docs/credit-features.md', () => {
  it('describes the definitions version the answers carry', () => {
    expect(page.split('\n')[0]).toBe(`# Credit features: definitions (\`${CREDIT_FEATURE_DEFINITIONS_VERSION}\`)`);
  });

  it('lists every served feature, in order, with its window and unit', () => {
    const documented = tableAfter('feature').map(([name, window, unit]) => ({ name, window, unit }));
    expect(documented).toEqual(FEATURE_DEFINITIONS.map(({ name, window, unit }) => ({ name, window, unit })));
  });

  it('names, for every counted ledger event, the subject side, the kind and the amount field the code uses', () => {
    const documented = new Map(tableAfter('event').map(([event = '', subject = '', kind = '', amount = '']) => [unquote(event), { subject, kind, amount }]));
    expect([...documented.keys()].sort()).toEqual([...CONTRIBUTING_TYPES].sort());
    for (const type of CONTRIBUTING_TYPES) {
      // Every role and amount field at once, each with a value that names it.
      const event = {
        type,
        data: { currency: 'USD', payerId: 'payer', payeeId: 'payee', userId: 'user', senderId: 'sender', recipientId: 'recipient', amountMinor: 1n, netMinor: 2n },
      } as unknown as RecordedEvent;
      const contribution = contributionOf(event);
      const row = documented.get(type);
      expect({ type, kind: row?.kind, subject: row?.subject.split(' ')[0], amount: row ? /`(\w+)`/.exec(row.amount)?.[1] : undefined }).toEqual({
        type,
        kind: contribution?.kind,
        subject: contribution?.subjectId,
        amount: contribution?.amountMinor === 1n ? 'amountMinor' : 'netMinor',
      });
    }
  });
});

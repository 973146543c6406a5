import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderEventCatalogue } from './event-catalogue';

describe('docs/events.md', () => {
  it('is what `npm run docs:events` renders from the zod schemas today (run it and commit the result if this fails)', () => {
    const onDisk = readFileSync(join(__dirname, '..', 'docs', 'events.md'), 'utf8');
    expect(onDisk).toBe(renderEventCatalogue());
  });

  it('shows personal data only under pii: a consent names no IP in its data', () => {
    const granted = renderEventCatalogue().split('### ConsentGranted')[1]?.split('### ')[0] ?? '';
    const [data, pii] = granted.split('**pii**');
    expect(pii).toContain('`ipPrefix`');
    expect(data).not.toContain('`ipPrefix`');
  });
});

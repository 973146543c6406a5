import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderEventCatalogue } from './event-catalogue';

/** `npm run docs:events`: rewrites docs/events.md from the zod schemas. */
const path = join(__dirname, '..', 'docs', 'events.md');
writeFileSync(path, renderEventCatalogue());
process.stdout.write(`wrote ${path}\n`);

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECTION_THREAD_YOUNG_GENERATION_MB } from '@attest/projection-runner';

/**
 * The projector runs its projections on its main thread, so `npm run start:projector` gives that
 * thread the projection worker's young generation with a Node flag (docs/operations.md). V8's
 * young generation is three semi-spaces, so the flag is a third of the constant: this keeps the
 * two in step when either changes.
 */
describe('npm run start:projector', () => {
  it("starts Node with the projection worker's young generation (semi-spaces of a third of it)", () => {
    const scripts = (JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['start:projector']).toContain(`--max-semi-space-size=${PROJECTION_THREAD_YOUNG_GENERATION_MB / 3} `);
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKey, TokenService } from '@attest/auth';
import { loadConfig } from '@attest/config';
import { generateKek } from '@attest/crypto-shredding';
import { EventStore } from '@attest/event-store';
import { createApp } from '../../../api/src/bootstrap';
import { DEMO_CHAPTERS } from './demo-chapters';
import { DemoChapter, DemoContext } from './demo-context';
import { DemoHttp } from './demo-http';
import { DemoStepOutcome } from './demo-step';

export interface DemoReport {
  ok: boolean;
  dataDir: string;
  /** Kept on disk (`--keep`) so that `attest verify` and `attest audit check` can be tried on it. */
  kept: boolean;
  steps: DemoStepOutcome[];
}

export interface DemoOptions {
  keep?: boolean;
  /** Called after each step, so the command narrates as the story unfolds. */
  onStep?: (step: DemoStepOutcome, index: number) => void;
  chapters?: readonly DemoChapter[];
}

/**
 * Runs the whole story against a FRESH embedded store in a temporary directory: the real API
 * (createApp, the same code `npm start` runs) listening on 127.0.0.1 on a free port, driven over
 * real HTTP with tokens from its own TokenService. Whatever the environment says about stores,
 * the demo never touches an existing one. Returns every step's outcome; never throws for a step
 * whose outcome differs from the story (that is reported in the step).
 */
export const runDemo = async (options: DemoOptions = {}): Promise<DemoReport> => {
  const dataDir = mkdtempSync(join(tmpdir(), 'attest-demo-'));
  const config = loadConfig({
    ATTEST_MODE: 'dev',
    LOG_LEVEL: 'silent',
    ATTEST_DATA_DIR: dataDir,
    ATTEST_JWT_KEYS: generateKey('demo').encoded,
    ATTEST_KEKS: generateKek('demo-kek'),
    HOST: '127.0.0.1',
    PORT: '0',
  });
  const app = await createApp(config);
  const steps: DemoStepOutcome[] = [];
  try {
    await app.listen(0, '127.0.0.1');
    const address = app.getHttpServer().address() as AddressInfo;
    const tokens = app.get(TokenService);
    let keys = 0;
    const context: DemoContext = {
      http: new DemoHttp(`http://127.0.0.1:${address.port}`),
      token: (role, id, recipientId) => tokens.mint({ role, id, ...(recipientId ? { recipientId } : {}) }),
      key: () => `demo-${++keys}`,
      config,
      store: app.get(EventStore),
      state: { firstTipPosition: null, bundlePath: null },
    };
    for (const chapter of options.chapters ?? DEMO_CHAPTERS) {
      let outcome: DemoStepOutcome;
      try {
        outcome = await chapter.run(context);
      } catch (error) {
        // A step that could not even run is a failed step; the story goes on so the report is whole.
        outcome = { id: chapter.id, title: chapter.title, narration: [], tables: [], facts: {}, ok: false, problems: [`error: ${error instanceof Error ? error.message : String(error)}`] };
      }
      steps.push(outcome);
      options.onStep?.(outcome, steps.length);
    }
  } finally {
    await app.close();
    if (!options.keep) rmSync(dataDir, { recursive: true, force: true });
  }
  return { ok: steps.every((s) => s.ok), dataDir, kept: options.keep === true, steps };
};

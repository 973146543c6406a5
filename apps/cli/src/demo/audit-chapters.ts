import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { verifyBundle } from '@attest/audit/verify';
import { runAuditCheck } from '../audit/run-audit-check';
import { DemoChapter } from './demo-context';
import { pick, pickString } from './demo-http';
import { StepRecorder } from './demo-step';

const bundleVerified: DemoChapter = {
  id: 'bundle-verified',
  title: "Compliance exports Jun's audit bundle, and it verifies",
  run: async (context) => {
    const step = new StepRecorder('bundle-verified', "Compliance exports Jun's audit bundle, and it verifies");
    const answer = await context.http.call('POST', '/v1/audit/subjects/jun/bundle', await context.token('compliance', 'officer-1'), { reason: 'regulator request: demo' });
    step.expect('status', answer.status, 200);
    const path = join(context.config.dataDir, 'jun-bundle.json');
    writeFileSync(path, JSON.stringify(answer.body, null, 2));
    context.state.bundlePath = path;
    // The same function `attest verify` runs: offline, node:crypto and the Merkle proofs only.
    const report = verifyBundle(answer.body);
    step.expect('verified', report.ok, true);
    step.expect('failures', report.failures.length, 0);
    step.fact('eventsProven', report.eventsVerified);
    step.fact('noticesProven', report.noticesVerified);
    step.fact('checkpointTreeSize', report.checkpoint?.treeSize ?? null);
    const events = pick(answer.body, 'events');
    step.table(
      ['event', 'leaf'],
      Array.isArray(events) ? events.map((e: unknown) => [pickString(e, 'event.type') ?? '?', String(pick(e, 'proof.leafIndex') ?? pick(e, 'leafIndex') ?? '')]) : [],
    );
    step.say(
      `VERIFIED: ${report.eventsVerified} events and ${report.noticesVerified} notice version(s), each with an inclusion proof against one checkpoint of ${report.checkpoint?.treeSize} leaves signed with Ed25519. A regulator checks it offline with \`attest verify jun-bundle.json\` (run the demo with --keep to try it).`,
    );
    return step.outcome();
  },
};

const tamperDetected: DemoChapter = {
  id: 'tamper-detected',
  title: 'A byte is altered in the store, and the audit check catches it',
  run: async (context) => {
    const step = new StepRecorder('tamper-detected', 'A byte is altered in the store, and the audit check catches it');
    const before = await runAuditCheck(context.config);
    step.expect('intactBefore', before.ok, true);
    const position = context.state.firstTipPosition;
    step.expect('tipPositionKnown', position !== null, true);
    // The tamperer works on the file, behind the API's back: one digit of Jun's first tip, 20.00 → 90.00.
    const db = new Database(context.config.sqlite.eventsPath);
    let changes = 0;
    try {
      changes = db.prepare(`UPDATE events SET data = replace(data, '"amountMinor":"2000"', '"amountMinor":"9000"') WHERE position = ? AND type = 'TipSent'`).run(position ?? -1n).changes;
    } finally {
      db.close();
    }
    step.expect('rowsEdited', changes, 1);
    step.say(`Someone with database access edits one byte of Jun's first tip (position ${position}): 20.00 becomes 90.00.`);
    const after = await runAuditCheck(context.config);
    step.expect('intactAfter', after.ok, false);
    step.expect('firstDifferenceCode', after.firstDifference?.code ?? null, 'EVENT_CHANGED');
    step.expect('firstDifferencePosition', after.firstDifference?.position ?? null, position?.toString() ?? null);
    step.table(
      ['check', 'code', 'position', 'detail'],
      after.problems.map((p) => ['FAIL', p.code, p.position ?? '-', p.detail]),
    );
    step.say(`\`attest audit check\` recomputes the Merkle tree from the store: it no longer matches the signed checkpoint, and the first changed event is at position ${after.firstDifference?.position}.`);
    return step.outcome();
  },
};

export const AUDIT_CHAPTERS: readonly DemoChapter[] = [bundleVerified, tamperDetected];

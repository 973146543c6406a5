/**
 * `npm run bench` runs every benchmark; `npm run bench -- event-store` runs those whose name
 * starts with the words given. Results go to bench/results.json and docs/BENCHMARKS.md.
 */
import { Benchmark, loadNow, printResult, record, machine } from './lib/report';
import { auditBenchmarks } from './audit.bench';
import { eventStoreBenchmarks } from './event-store.bench';
import { consentBenchmarks } from './consent.bench';
import { creditFeaturesBenchmarks } from './credit-features.bench';
import { httpCeilingBenchmarks } from './http-ceiling.bench';
import { ledgerBenchmarks } from './ledger.bench';
import { reconciliationBenchmarks } from './reconciliation.bench';

const all: Benchmark[] = [...eventStoreBenchmarks, ...httpCeilingBenchmarks, ...ledgerBenchmarks, ...consentBenchmarks, ...auditBenchmarks, ...creditFeaturesBenchmarks, ...reconciliationBenchmarks];

const main = async () => {
  // `--render`: rewrite docs/BENCHMARKS.md from bench/results.json without running anything.
  if (process.argv.includes('--render')) {
    record([]);
    console.log('docs/BENCHMARKS.md rendered from bench/results.json');
    return;
  }
  const wanted = process.argv.slice(2);
  const chosen = wanted.length === 0 ? all : all.filter((b) => wanted.some((w) => b.name.startsWith(w)));
  if (chosen.length === 0) {
    console.error(`no benchmark matches ${wanted.join(' ')}; known: ${all.map((b) => b.name).join(', ')}`);
    process.exit(2);
  }
  console.log(`Machine: ${machine()}`);
  const results = [];
  for (const benchmark of chosen) {
    const loadAtStart = loadNow();
    const result = await benchmark.run();
    printResult(result);
    results.push({ ...result, loadAtStart });
  }
  record(results);
  console.log('\nwritten to docs/BENCHMARKS.md');
};

main().catch((error) => {
  console.error(error);
  process.exit(1);
});

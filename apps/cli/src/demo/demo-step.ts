/** A small table in a step's narration (and in its JSON). */
export interface DemoTable {
  columns: string[];
  rows: string[][];
}

/** A fact a step established: what the test asserts and `--json` prints. */
export type DemoFact = string | number | boolean | null | string[];

/** The outcome of one step of the story: what happened, in words and in facts. */
export interface DemoStepOutcome {
  id: string;
  title: string;
  /** Plain sentences for a newcomer. */
  narration: string[];
  tables: DemoTable[];
  facts: Record<string, DemoFact>;
  /** True when everything the story expects of this step happened (a refusal can be the expected outcome). */
  ok: boolean;
  /** What differed from the story, one line each (empty when ok). */
  problems: string[];
}

/**
 * Collects one step's outcome. `expect` records a mismatch instead of throwing: the demo goes on
 * and reports every step, so a newcomer (or the test) sees exactly which part of the story broke.
 */
export class StepRecorder {
  private readonly narration: string[] = [];
  private readonly tables: DemoTable[] = [];
  private readonly facts: Record<string, DemoFact> = {};
  private readonly problems: string[] = [];

  constructor(
    private readonly id: string,
    private readonly title: string,
  ) {}

  say(line: string): this {
    this.narration.push(line);
    return this;
  }

  table(columns: string[], rows: string[][]): this {
    this.tables.push({ columns, rows });
    return this;
  }

  fact(name: string, value: DemoFact): this {
    this.facts[name] = value;
    return this;
  }

  /** Records `actual` as fact `name` and notes a problem unless it equals `expected`. */
  expect(name: string, actual: DemoFact, expected: DemoFact): this {
    this.facts[name] = actual;
    if (JSON.stringify(actual) !== JSON.stringify(expected)) this.problems.push(`${name}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
    return this;
  }

  outcome(): DemoStepOutcome {
    return { id: this.id, title: this.title, narration: [...this.narration], tables: [...this.tables], facts: { ...this.facts }, ok: this.problems.length === 0, problems: [...this.problems] };
  }
}

import { formatTable } from '../projections/projection-lag';
import { DemoStepOutcome } from './demo-step';

const INDENT = '    ';
const indent = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((line) => INDENT + line)
    .join('\n') + '\n';

/** One step as a newcomer reads it: number, title, verdict, sentences, tables, and any mismatch. */
export const narrateStep = (step: DemoStepOutcome, index: number): string => {
  const heading = `${String(index).padStart(2)}. ${step.title}`;
  let text = `\n${heading.padEnd(76)} ${step.ok ? 'ok' : 'UNEXPECTED'}\n`;
  for (const line of step.narration) text += indent(line);
  for (const table of step.tables) text += indent(formatTable(table.columns, table.rows));
  for (const problem of step.problems) text += indent(`!! ${problem}`);
  return text;
};

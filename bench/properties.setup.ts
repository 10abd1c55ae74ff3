// Setup file of the properties bench (bench/properties.bench.ts): every fast-check property runs
// PROPERTY_RUNS times unless it sets its own numRuns, and each run's outcome is recorded (a JSON
// line per property in PROPERTIES_RECORD) so the bench can report runs per property and pass/fail.
// A failing property still throws fast-check's own report, so vitest shows the counterexample.
import fs from "node:fs";
import fc from "fast-check";
import { expect } from "vitest";

const numRuns = Number(process.env.PROPERTY_RUNS ?? 10_000);
const recordPath = process.env.PROPERTIES_RECORD;

function record(details: fc.RunDetails<unknown>): void {
  if (!recordPath) return;
  const line = {
    test: expect.getState().currentTestName ?? "(unknown)",
    file: expect.getState().testPath ?? null,
    runs: details.numRuns,
    skips: details.numSkips,
    failed: details.failed,
  };
  fs.appendFileSync(recordPath, `${JSON.stringify(line)}\n`);
}

fc.configureGlobal({
  numRuns,
  reporter(details) {
    record(details);
    if (details.failed) throw new Error(fc.defaultReportMessage(details));
  },
});

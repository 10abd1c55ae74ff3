// The nightly depth of the ledger and treasury property tests (issue #3): the same property tests
// that `npm test` runs with a few hundred runs each, run here with PROPERTY_RUNS (default 10,000)
// runs per property. The test files are not copied: vitest runs them as they are, through
// bench/properties.vitest.config.ts, whose setup file (bench/properties.setup.ts) raises fast-check's
// global numRuns (model.test.ts reads PROPERTY_RUNS itself) and records each property's runs and
// outcome. Reported: runs per second per property and overall, and pass/fail (a failure is a
// finding to fix, printed with fast-check's counterexample; the bench itself does not assert).
// Smaller runs: PROPERTY_RUNS=1000 npm run bench -- properties
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Bench, type BenchResult, round } from "./lib";
import { propertyTestFiles } from "./properties.vitest.config";

const runsWanted = Number(process.env.PROPERTY_RUNS ?? 10_000);
const progress = (message: string) => process.stderr.write(`  properties: ${message}\n`);

type JsonReport = {
  testResults: Array<{
    name: string;
    assertionResults: Array<{
      fullName: string;
      title: string;
      status: string;
      duration?: number;
      failureMessages?: string[];
    }>;
  }>;
};

type Recorded = { test: string; file: string | null; runs: number; skips: number; failed: boolean };

const bench: Bench = {
  name: "properties",
  async run() {
    const root = path.resolve(import.meta.dirname, "..");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "venture-properties-"));
    const reportPath = path.join(dir, "report.json");
    const recordPath = path.join(dir, "runs.jsonl");
    try {
      const started = performance.now();
      const child = spawnSync(
        "npx",
        [
          "vitest",
          "run",
          "--config",
          "bench/properties.vitest.config.ts",
          "--reporter=json",
          `--outputFile=${reportPath}`,
        ],
        {
          cwd: root,
          env: { ...process.env, PROPERTY_RUNS: String(runsWanted), PROPERTIES_RECORD: recordPath },
          encoding: "utf8",
          maxBuffer: 64 * 1024 * 1024,
        },
      );
      const wallS = (performance.now() - started) / 1000;
      if (!fs.existsSync(reportPath)) {
        throw new Error(`vitest wrote no report (exit ${child.status}): ${child.stderr.slice(-2_000)}`);
      }
      const report = JSON.parse(fs.readFileSync(reportPath, "utf8")) as JsonReport;
      const recorded = fs.existsSync(recordPath)
        ? fs
            .readFileSync(recordPath, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((line) => JSON.parse(line) as Recorded)
        : [];
      // vitest names a test "describe > it" while it runs and "describe it" in its report.
      const runsOf = new Map<string, { runs: number; failed: boolean }>();
      for (const r of recorded) {
        const key = r.test.replaceAll(" > ", " ");
        const seen = runsOf.get(key) ?? { runs: 0, failed: false };
        runsOf.set(key, { runs: seen.runs + r.runs, failed: seen.failed || r.failed });
      }

      const lines: string[] = [];
      let totalRuns = 0;
      let totalMs = 0;
      let passed = 0;
      let failed = 0;
      let minRuns = Number.POSITIVE_INFINITY;
      for (const file of report.testResults) {
        const short = path.relative(root, file.name).replace("server/contexts/treasury/", "");
        for (const test of file.assertionResults) {
          const runs = runsOf.get(test.fullName);
          if (!runs) continue; // not a property test
          const ms = test.duration ?? 0;
          const ok = test.status === "passed" && !runs.failed;
          if (ok) passed += 1;
          else failed += 1;
          totalRuns += runs.runs;
          totalMs += ms;
          minRuns = Math.min(minRuns, runs.runs);
          const rate = ms > 0 ? runs.runs / (ms / 1000) : 0;
          lines.push(
            `${short} › ${test.title}: ${runs.runs} runs, ${round(rate, 0)}/s, ${ok ? "pass" : "FAIL"}`,
          );
          progress(lines.at(-1)!);
          if (!ok) progress((test.failureMessages ?? []).join("\n").slice(0, 4_000));
        }
      }
      progress(`vitest exit ${child.status}, ${round(wallS, 1)} s wall`);
      const result: BenchResult = {
        "properties.runs_per_s": {
          value: round(totalMs > 0 ? totalRuns / (totalMs / 1000) : 0, 0),
          unit: "runs/s",
          note: `${passed + failed} ledger/treasury properties (${propertyTestFiles.length} files) at PROPERTY_RUNS=${runsWanted} (fewest runs of one property: ${Number.isFinite(minRuns) ? minRuns : 0}); ${totalRuns} runs in ${round(totalMs / 1000, 1)} s of test time (${round(wallS, 1)} s wall, 2 workers); load average ${os
            .loadavg()
            .map((l) => l.toFixed(1))
            .join("/")}; ${lines.join("; ")}`,
        },
        "properties.failed": {
          value: failed,
          unit: "properties",
          note:
            failed === 0
              ? `all ${passed} properties passed`
              : `${failed} of ${passed + failed} properties failed: see the bench output for counterexamples`,
        },
      };
      return result;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;

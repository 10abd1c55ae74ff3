// `npm test`: the whole gate, in order — typecheck, lint, unit and integration tests (vitest,
// against the real PostgreSQL, NATS and Redis), the fault suite, then the browser journeys
// (Playwright in Debian's Chromium). Every stage runs even when an earlier one fails, so one run
// shows everything; the exit code is non-zero if any stage failed. The last line is the plain
// "N passed, N failed". The e2e stage's Next.js build runs alongside the fault suite.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";

type Stage = { name: string; command: string[]; counts?: () => { passed: number; failed: number } };

function vitestCounts(file = "test-results/vitest.json") {
  const report = JSON.parse(fs.readFileSync(file, "utf8")) as {
    numPassedTests: number;
    numFailedTests: number;
  };
  return { passed: report.numPassedTests, failed: report.numFailedTests };
}

function playwrightCounts() {
  const report = JSON.parse(fs.readFileSync("test-results/e2e.json", "utf8")) as {
    stats: { expected: number; unexpected: number; flaky: number };
  };
  return { passed: report.stats.expected + report.stats.flaky, failed: report.stats.unexpected };
}

const only = process.argv.slice(2);
const stages: Stage[] = [
  { name: "typecheck", command: ["npx", "tsc", "--noEmit", "-p", "."] },
  { name: "lint", command: ["npx", "biome", "check", "."] },
  {
    name: "vitest",
    command: [
      "npx",
      "vitest",
      "run",
      "--reporter=default",
      "--reporter=json",
      "--outputFile.json=test-results/vitest.json",
    ],
    counts: () => vitestCounts(),
  },
  // The fault suite (docs/decisions/0015-fault-suite.md): private PostgreSQL, NATS and Redis and the
  // real worker processes, killed and restarted. After the other tests, so it has the cores to itself.
  {
    name: "faults",
    command: [
      "npx",
      "vitest",
      "run",
      "--config",
      "vitest.faults.config.ts",
      "--reporter=default",
      "--reporter=json",
      "--outputFile.json=test-results/faults.json",
    ],
    counts: () => vitestCounts("test-results/faults.json"),
  },
  { name: "e2e", command: ["npx", "playwright", "test"], counts: playwrightCounts },
].filter((stage) => only.length === 0 || only.includes(stage.name));

fs.mkdirSync("test-results", { recursive: true });
let passed = 0;
let failed = 0;
const summary: string[] = [];
// The e2e stage's Next.js build needs both cores for a minute or two; the fault suite mostly waits on
// restarts and recoveries (its timeouts are in tens of seconds), so the build runs alongside it.
let build: ChildProcess | null = null;
const buildDone = () =>
  new Promise<void>((resolve) => {
    if (!build || build.exitCode !== null) return resolve();
    build.on("exit", () => resolve());
  });
for (const stage of stages) {
  if (stage.name === "faults" && stages.some((s) => s.name === "e2e")) {
    console.log("\n== e2e build, alongside the fault suite: npx tsx e2e/build.ts");
    build = spawn("npx", ["tsx", "e2e/build.ts"], {
      stdio: ["ignore", "ignore", "inherit"],
      env: process.env,
    });
  }
  // A failed build is not a stage of its own: the e2e stage builds again and fails there, visibly.
  if (stage.name === "e2e") await buildDone();
  const started = Date.now();
  console.log(`\n== ${stage.name}: ${stage.command.join(" ")}`);
  const result = spawnSync(stage.command[0]!, stage.command.slice(1), { stdio: "inherit", env: process.env });
  const ok = result.status === 0;
  let line = `${stage.name.padEnd(10)} ${ok ? "ok  " : "FAIL"} ${((Date.now() - started) / 1000).toFixed(0)} s`;
  let stageFailed = 0;
  if (stage.counts) {
    try {
      const c = stage.counts();
      passed += c.passed;
      stageFailed = c.failed;
      line += ` (${c.passed} passed, ${c.failed} failed)`;
    } catch {
      line += " (no report)";
    }
  }
  // A stage that failed without reporting a failed test (type error, lint, crash, setup error)
  // counts as one failure, so the gate can never pass on a broken stage.
  failed += !ok && stageFailed === 0 ? 1 : stageFailed;
  summary.push(line);
}
console.log(`\n== gate summary\n${summary.join("\n")}`);
console.log(`gate: ${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

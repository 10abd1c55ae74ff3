// npm run bench [-- name ...]: runs every bench/*.bench.ts (or the named ones), prints JSON
// figures and merges them into bench/results/latest.json, keyed by metric name, plus a dated copy.
import "@/server/shared/v8-workaround";
import fs from "node:fs";
import path from "node:path";
import type { Bench, BenchResult } from "./lib";

const dir = path.dirname(new URL(import.meta.url).pathname);
const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .sort();

const resultsDir = path.join(dir, "results");
fs.mkdirSync(resultsDir, { recursive: true });
const latestPath = path.join(resultsDir, "latest.json");
const stampPath = path.join(resultsDir, `${new Date().toISOString().replace(/[:.]/g, "-")}.json`);

/** Merges figures into latest.json and this run's dated copy, after each bench: a bench that
 * crashes the process (see ADR 0018 on Node 20's deoptimizer) loses only its own figures. */
function save(results: BenchResult): void {
  const previous = fs.existsSync(latestPath)
    ? (JSON.parse(fs.readFileSync(latestPath, "utf8")) as BenchResult)
    : {};
  fs.writeFileSync(latestPath, `${JSON.stringify({ ...previous, ...results }, null, 2)}\n`);
  fs.writeFileSync(stampPath, `${JSON.stringify(results, null, 2)}\n`);
}

const results: BenchResult = {};
for (const file of files) {
  const { default: bench } = (await import(path.join(dir, file))) as { default: Bench };
  if (wanted.length > 0 && !wanted.includes(bench.name)) continue;
  process.stderr.write(`bench ${bench.name} ...\n`);
  const started = performance.now();
  const figures = await bench.run();
  process.stderr.write(
    `bench ${bench.name} done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
  Object.assign(results, figures);
  save(results);
}

process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
process.exit(0);

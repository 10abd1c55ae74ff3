// npm run bench [-- name ...]: runs every bench/*.bench.ts (or the named ones), prints JSON
// figures and merges them into bench/results/latest.json, keyed by metric name, plus a dated copy.
import fs from "node:fs";
import path from "node:path";
import type { Bench, BenchResult } from "./lib";

const dir = path.dirname(new URL(import.meta.url).pathname);
const wanted = process.argv.slice(2).filter((a) => !a.startsWith("-"));
const files = fs
  .readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .sort();

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
}

const resultsDir = path.join(dir, "results");
fs.mkdirSync(resultsDir, { recursive: true });
const latestPath = path.join(resultsDir, "latest.json");
const previous = fs.existsSync(latestPath)
  ? (JSON.parse(fs.readFileSync(latestPath, "utf8")) as BenchResult)
  : {};
const merged = { ...previous, ...results };
fs.writeFileSync(latestPath, `${JSON.stringify(merged, null, 2)}\n`);
const stamp = new Date().toISOString().replace(/[:.]/g, "-");
fs.writeFileSync(path.join(resultsDir, `${stamp}.json`), `${JSON.stringify(results, null, 2)}\n`);
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
process.exit(0);

// Shared pieces of the benchmarks: the figure format, percentiles, and a scratch database.
// Benchmarks measure and print; they never assert (tests check correctness).

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { adminUrl, baseDatabaseUrl } from "@/test/urls";

export type Metric = {
  value: number;
  unit: string;
  /** The same operation done the plain way in the same run, where a ratio is asked for. */
  baseline?: number;
  ratio?: number;
  p50?: number;
  p99?: number;
  note?: string;
};

export type BenchResult = Record<string, Metric>;

export type Bench = { name: string; run(): Promise<BenchResult> };

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** A migrated database of its own for one benchmark, dropped by the returned function. */
export async function scratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `venture_bench_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = baseDatabaseUrl(name);
  execFileSync("npx", ["prisma", "migrate", "deploy"], {
    env: { ...process.env, DATABASE_URL: url },
    stdio: "pipe",
  });
  return {
    url,
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

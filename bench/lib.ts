// Shared pieces of the benchmarks: the figure format, percentiles, and a scratch database.
// Benchmarks measure and print; they never assert (tests check correctness).

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createDb } from "@/server/shared/db";
import { sealEvents } from "@/server/shared/events/store";
import { adminUrl, baseDatabaseUrl } from "@/test/urls";
import { relayDefaults } from "@/workers/outbox-relay/relay";

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

/**
 * Seals committed events in the background as the busy outbox relay does (workers/outbox-relay):
 * on a connection of its own, as the relay is a process of its own, in the relay's batches, straight
 * on after a full batch, otherwise at its busy poll interval. Like the busy relay it clears
 * `outbox_wake.listening`, so appends skip the notification, which would serialise every commit
 * behind a database-wide lock (ADR 0005); it sets it back when stopped. `stop` drains what is left,
 * so a figure covers sealing too, and returns how many events were sealed.
 */
export function startSealer(databaseUrl: string): { stop(): Promise<number> } {
  const db = createDb(databaseUrl, { poolMax: 1 });
  const { sealBatch, busyPollMs } = relayDefaults;
  let stopping = false;
  let sealed = 0;
  const setListening = (value: boolean) =>
    db.$executeRawUnsafe("UPDATE outbox_wake SET listening = $1 WHERE id = 1", value);
  const done = (async () => {
    try {
      await setListening(false);
      for (;;) {
        const n = await sealEvents(db, sealBatch);
        sealed += n;
        if (n === 0 && stopping) break;
        if (n < sealBatch) await new Promise((resolve) => setTimeout(resolve, busyPollMs));
      }
      await setListening(true);
    } finally {
      await db.$disconnect();
    }
  })();
  return {
    async stop() {
      stopping = true;
      await done;
      return sealed;
    },
  };
}

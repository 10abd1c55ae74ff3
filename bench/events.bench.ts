// Event log: append throughput with the hash chain (one event per transaction and batched) —
// timed until every event is appended AND sealed into the chain by a sealer running alongside, as
// the relay does in production — and chain verification beside raw SHA-256 over the same bytes,
// measured in the same run.
import { createHash } from "node:crypto";
import { createDb, withTransaction } from "@/server/shared/db";
import { type ChainRow, ChainVerifier } from "@/server/shared/events/chain";
import { appendEvents, type CommandContext, type NewEvent, sealEvents } from "@/server/shared/events/store";
import { verifyEventLog } from "@/server/shared/events/verify";
import { newId } from "@/server/shared/ids";
import { type Bench, percentile, round, scratchDatabase, startSealer } from "./lib";

const ctx: CommandContext = { actor: { type: "system", id: "bench" }, correlationId: "cor_bench" };

function event(): NewEvent {
  const ventureId = newId("venture");
  return {
    type: "orchestration.venture_created",
    stream: { type: "venture", id: ventureId },
    expectedVersion: 0,
    portfolioId: "pf_bench",
    payload: {
      ventureId,
      portfolioId: "pf_bench",
      name: "Benchmark venture with a realistic name",
      slug: "benchmark-venture",
      goal: "Reach ten thousand dollars of monthly recurring revenue selling robot kits to schools",
      stage: "idea",
    },
  };
}

async function runConcurrently(
  total: number,
  concurrency: number,
  job: () => Promise<void>,
): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const started = performance.now();
        await job();
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies.sort((a, b) => a - b);
}

const bench: Bench = {
  name: "events",
  async run() {
    const database = await scratchDatabase();
    const db = createDb(database.url, { poolMax: 16 });
    try {
      // Warm-up: connections, prepared plans.
      await runConcurrently(200, 8, () =>
        withTransaction(db, (tx) => appendEvents(tx, ctx, [event()])).then(() => {}),
      );

      await sealEvents(db, 10_000);

      // One event per transaction, two ways: the append as a transaction of its own (one statement:
      // events and outbox rows together, as a command that only appends does), and inside an
      // explicit withTransaction (BEGIN with the statement, then COMMIT: two round trips), as a
      // command that also updates projections does.
      const singleCount = 6_000;
      const single = async (job: () => Promise<unknown>) => {
        const sealer = startSealer(database.url);
        const started = performance.now();
        const latencies = await runConcurrently(singleCount, 16, () => job().then(() => {}));
        const appendRate = singleCount / ((performance.now() - started) / 1000);
        const sealed = await sealer.stop();
        const rate = singleCount / ((performance.now() - started) / 1000);
        if (sealed !== singleCount) throw new Error(`sealed ${sealed} of ${singleCount}`);
        return { latencies, appendRate, rate };
      };
      const own = await single(() => appendEvents(db, ctx, [event()]));
      const explicit = await single(() => withTransaction(db, (tx) => appendEvents(tx, ctx, [event()])));

      const batches = 400;
      const batchSize = 100;
      const sealer = startSealer(database.url);
      let started = performance.now();
      await runConcurrently(batches, 4, () =>
        withTransaction(db, (tx) => appendEvents(tx, ctx, Array.from({ length: batchSize }, event))).then(
          () => {},
        ),
      );
      const sealed = await sealer.stop();
      const batchedRate = (batches * batchSize) / ((performance.now() - started) / 1000);
      if (sealed !== batches * batchSize) throw new Error(`sealed ${sealed} of ${batches * batchSize}`);

      // Verification over the stored rows, beside raw SHA-256 over the same envelope bytes.
      const rows = (
        await db.$queryRawUnsafe<
          Array<{ sequence: bigint; id: string; envelope: string; prev_hash: string; hash: string }>
        >("SELECT sequence, id, envelope, prev_hash, hash FROM events ORDER BY sequence")
      ).map(
        (r): ChainRow => ({
          sequence: Number(r.sequence),
          id: r.id,
          envelope: r.envelope,
          prevHash: r.prev_hash,
          hash: r.hash,
        }),
      );
      const bytes = rows.reduce((sum, r) => sum + Buffer.byteLength(r.envelope), 0);
      const rounds = 5;
      let verifyMs = Number.POSITIVE_INFINITY;
      let rawMs = Number.POSITIVE_INFINITY;
      for (let i = 0; i < rounds; i++) {
        let t = performance.now();
        const verifier = new ChainVerifier();
        for (const row of rows) verifier.push(row);
        if (verifier.failure) throw new Error(`bench chain failed to verify: ${verifier.failure.message}`);
        verifyMs = Math.min(verifyMs, performance.now() - t);
        t = performance.now();
        let sink = 0;
        for (const row of rows) sink ^= createHash("sha256").update(row.envelope).digest()[0]!;
        rawMs = Math.min(rawMs, performance.now() - t);
        if (sink === 256) console.log("unreachable");
      }
      const verifyRate = rows.length / (verifyMs / 1000);
      const rawRate = rows.length / (rawMs / 1000);

      started = performance.now();
      const dbVerify = await verifyEventLog(db);
      const dbVerifyRate = dbVerify.checkedEvents / ((performance.now() - started) / 1000);

      return {
        "events.append_single_tx": {
          value: round(own.rate, 0),
          unit: "events/s",
          p50: round(percentile(own.latencies, 50)),
          p99: round(percentile(own.latencies, 99)),
          note: `one event per transaction (appendEvents outside withTransaction: the statement is the transaction), 16 concurrent writers, fsync on, until all are sealed into the chain by a sealer running alongside (appends alone: ${round(own.appendRate, 0)}/s); p50/p99 append latency in ms`,
        },
        "events.append_single_tx_explicit": {
          value: round(explicit.rate, 0),
          unit: "events/s",
          p50: round(percentile(explicit.latencies, 50)),
          p99: round(percentile(explicit.latencies, 99)),
          note: `one event per transaction inside withTransaction (BEGIN with the statement, then COMMIT), 16 concurrent writers, fsync on, until all are sealed (appends alone: ${round(explicit.appendRate, 0)}/s); p50/p99 ms`,
        },
        "events.append_batched": {
          value: round(batchedRate, 0),
          unit: "events/s",
          note: `${batchSize} events per transaction, 4 concurrent writers, until all are sealed into the chain`,
        },
        "events.verify_chain": {
          value: round(verifyRate, 0),
          unit: "events/s",
          baseline: round(rawRate, 0),
          ratio: round(verifyRate / rawRate, 3),
          note: `over ${rows.length} stored rows in memory; baseline = raw SHA-256 of the same envelope bytes`,
        },
        "events.verify_chain_mb": {
          value: round(bytes / 1e6 / (verifyMs / 1000), 1),
          unit: "MB/s",
          baseline: round(bytes / 1e6 / (rawMs / 1000), 1),
          ratio: round(rawMs / verifyMs, 3),
        },
        "events.verify_from_database": {
          value: round(dbVerifyRate, 0),
          unit: "events/s",
          note: "verifyEventLog end to end: paged reads from PostgreSQL plus the chain",
        },
      };
    } finally {
      await db.$disconnect();
      await database.drop();
    }
  },
};

export default bench;

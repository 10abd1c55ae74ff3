// Personal data on the append path (docs/decisions/0013): batched appends of events without
// personal data (the common case: the only added work is one catalog lookup per event) beside
// batched appends of events whose fields are sealed per subject (one extra statement per batch
// for the subjects' keys, AES-256-GCM per event), and opening them again for a reader, measured
// in the same run on a scratch database.
import { createDb, withTransaction } from "@/server/shared/db";
import { carriesPersonalData, openPersonalData } from "@/server/shared/events/personal-data-store";
import { appendEvents, type CommandContext, type NewEvent } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { type Bench, round, scratchDatabase } from "./lib";

const ctx: CommandContext = { actor: { type: "system", id: "bench" }, correlationId: "cor_bench" };
const batches = Number(process.env.BENCH_PII_BATCHES ?? 60);
const batchSize = 100;

function plainEvent(): NewEvent {
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

function personalEvent(): NewEvent {
  const userId = newId("user");
  return {
    type: "identity.user_registered",
    stream: { type: "user", id: userId },
    expectedVersion: 0,
    portfolioId: null,
    payload: { userId, email: `${userId.toLowerCase()}@example.test`, name: "Ada Lovelace-Byron" },
  };
}

async function appendBatches(db: ReturnType<typeof createDb>, make: () => NewEvent): Promise<number> {
  const started = performance.now();
  for (let b = 0; b < batches; b++) {
    await withTransaction(db, (tx) =>
      appendEvents(
        tx,
        ctx,
        Array.from({ length: batchSize }, () => make()),
      ),
    );
  }
  return (batches * batchSize) / ((performance.now() - started) / 1000);
}

const bench: Bench = {
  name: "personal-data",
  async run() {
    const scratch = await scratchDatabase();
    const db = createDb(scratch.url, { poolMax: 4 });
    try {
      await db.$executeRawUnsafe("UPDATE outbox_wake SET listening = false WHERE id = 1").catch(() => 0);
      // Warm up both paths (connections, prepared plans, the master key file).
      await appendBatches(db, plainEvent);
      await appendBatches(db, personalEvent);
      // Interleaved rounds, so load from elsewhere on the machine falls on both alike.
      const plain: number[] = [];
      const personal: number[] = [];
      for (let round = 0; round < 3; round++) {
        plain.push(await appendBatches(db, plainEvent));
        personal.push(await appendBatches(db, personalEvent));
      }
      const best = (xs: number[]) => Math.max(...xs);

      // The check every append now makes, per event, on its own.
      const bodies = Array.from({ length: 1_000 }, () => plainEvent());
      const checkStarted = performance.now();
      let found = 0;
      for (let i = 0; i < 1_000; i++) if (bodies.some((body) => carriesPersonalData(body.type))) found++;
      const checkNs = ((performance.now() - checkStarted) * 1e6) / 1_000_000;

      // Opening sealed payloads for a reader (a DSAR, the event detail).
      const rows = await db.$queryRawUnsafe<Array<{ id: string; envelope: string }>>(
        "SELECT id, envelope FROM event_log WHERE type = 'identity.user_registered' LIMIT 5000",
      );
      const events = rows.map((r) => ({ id: r.id, payload: JSON.parse(r.envelope).payload as unknown }));
      const openStarted = performance.now();
      const opened = await openPersonalData(db, events, { reveal: true });
      const openRate = opened.length / ((performance.now() - openStarted) / 1000);

      return {
        "personal-data.append.batched.plain": {
          value: round(best(plain), 0),
          unit: "events/s",
          note: `${batches} transactions of ${batchSize} events without personal data, best of 3 rounds`,
        },
        "personal-data.append.batched.sealed": {
          value: round(best(personal), 0),
          unit: "events/s",
          baseline: round(best(plain), 0),
          ratio: round(best(personal) / best(plain), 2),
          note: "the same, every event naming a new data subject (key made, wrapped, stored; fields sealed)",
        },
        "personal-data.append.check": {
          value: round(checkNs, 1),
          unit: "ns/event",
          note: `what an event without personal data pays on the append path (${found > 0 ? "found" : "none found"})`,
        },
        "personal-data.open": {
          value: round(openRate, 0),
          unit: "events/s",
          note: `${opened.length} sealed payloads opened in one call (keys unwrapped, fields decrypted)`,
        },
      };
    } finally {
      await db.$disconnect();
      await scratch.drop();
    }
  },
};

export default bench;

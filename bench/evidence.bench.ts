// Evidence packs at scale: 1,000,000 events, then the time to export a 90-day pack (target < 60 s),
// the time to verify it offline (target < 30 s) and the verifier's peak memory (target < 512 MB),
// measured in a child process running `venture verify` as an auditor would.
//
// The events come from a fast generator, not the append path: envelopes are built with the same
// canonical JSON and chained with the same chainHash in this process, then inserted straight into
// event_log / event_chain in batches of 10,000 (no outbox rows: nothing is published), as a bulk
// load in a scratch database of its own: the two tables' secondary indexes and foreign keys are
// dropped during the load and rebuilt after it, and the tables are UNLOGGED (no WAL; the database
// is dropped at the end, and what is measured is reading, exporting and verifying, not durability). A signed checkpoint is written every 1,000
// events, as the checkpoint loop would. The chain is valid: the pack build re-verifies every event
// and checkpoint while it exports, and the offline verifier checks it again.
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { directoryCopies } from "@/server/contexts/compliance/checkpoint-copies";
import { buildNextEvidencePack, requestEvidencePack } from "@/server/contexts/compliance/evidence-packs";
import { AuditKeyring } from "@/server/contexts/compliance/keyring";
import { checkpointBytes, signBytes } from "@/server/contexts/compliance/signing";
import { syncKeyring } from "@/server/contexts/compliance/sync-keyring";
import { sealAll, temporaryDir } from "@/server/contexts/compliance/testing";
import { canonicalJson } from "@/server/shared/canonical-json";
import { createDb, type Db } from "@/server/shared/db";
import { chainHash } from "@/server/shared/events/chain";
import { chainHead } from "@/server/shared/events/store";
import { type Bench, round, scratchDatabase } from "./lib";

const eventCount = 1_000_000;
const batchSize = 10_000;
const checkpointEvery = 1_000;
const periodDays = 90;

/**
 * Drops the secondary indexes and foreign keys of event_log and event_chain (read from the catalog,
 * so whatever the migrations declare), makes both tables UNLOGGED, and returns what rebuilds the
 * indexes and keys.
 */
async function prepareBulkLoad(db: Db): Promise<() => Promise<void>> {
  const indexes = await db.$queryRawUnsafe<Array<{ name: string; definition: string }>>(
    `SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i
      WHERE i.schemaname = 'public' AND i.tablename IN ('event_log', 'event_chain')
        AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname AND c.contype = 'p')`,
  );
  const foreignKeys = await db.$queryRawUnsafe<Array<{ tbl: string; name: string; definition: string }>>(
    `SELECT c.conrelid::regclass::text AS tbl, c.conname AS name, pg_get_constraintdef(c.oid) AS definition
       FROM pg_constraint c
      WHERE c.contype = 'f'
        AND (c.conrelid::regclass::text IN ('event_log', 'event_chain') OR c.confrelid::regclass::text IN ('event_log', 'event_chain'))`,
  );
  for (const fk of foreignKeys)
    await db.$executeRawUnsafe(`ALTER TABLE ${fk.tbl} DROP CONSTRAINT "${fk.name}"`);
  for (const index of indexes) await db.$executeRawUnsafe(`DROP INDEX "${index.name}"`);
  await db.$executeRawUnsafe("ALTER TABLE event_chain SET UNLOGGED");
  await db.$executeRawUnsafe("ALTER TABLE event_log SET UNLOGGED");
  return async () => {
    // Two at a time: one per core.
    const queue = [...indexes];
    await Promise.all(
      [0, 1].map(async () => {
        for (let index = queue.shift(); index; index = queue.shift())
          await db.$executeRawUnsafe(index.definition);
      }),
    );
    for (const fk of foreignKeys) {
      await db.$executeRawUnsafe(`ALTER TABLE ${fk.tbl} ADD CONSTRAINT "${fk.name}" ${fk.definition}`);
    }
  };
}

/** Adds one row to column arrays (the unnest() parameters). */
function appendColumns(columns: string[][], row: string[]): void {
  for (const [k, value] of row.entries()) columns[k]!.push(value);
}

/** Generates the log: returns the number of events and checkpoints written. */
async function generate(
  db: Db,
  keyring: AuditKeyring,
  now: number,
): Promise<{ events: number; checkpoints: number }> {
  const key = keyring.activeKey()!;
  let { sequence, hash } = await chainHead(db);
  const first = now - (periodDays - 1) * 86_400_000;
  const step = ((periodDays - 2) * 86_400_000) / eventCount;
  let checkpoints = 0;
  const insert = async (rows: string[][], chain: string[][], cps: string[][]) => {
    await db.$executeRawUnsafe(
      `INSERT INTO event_log (id, type, schema_version, stream_type, stream_id, stream_version, portfolio_id,
         occurred_at, actor_type, actor_id, correlation_id, envelope)
       SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::int[], $7::text[],
         $8::timestamptz[], $9::text[], $10::text[], $11::text[], $12::text[])`,
      ...rows,
    );
    await db.$executeRawUnsafe(
      `INSERT INTO event_chain (sequence, event_id, prev_hash, hash)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[])`,
      ...chain,
    );
    if (cps[0]!.length > 0) {
      await db.$executeRawUnsafe(
        `INSERT INTO audit_checkpoints (sequence, head_hash, signed_at, key_id, signature)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::timestamptz[], $4::text[], $5::text[])`,
        ...cps,
      );
    }
  };
  const startedAt = performance.now();
  const rebuild = await prepareBulkLoad(db);
  // Two batches in flight while the next is built: hashing here, inserting in PostgreSQL.
  const pending: Array<Promise<void>> = [];
  for (let done = 0; done < eventCount; done += batchSize) {
    const rows: string[][] = Array.from({ length: 12 }, () => []);
    const chain: string[][] = Array.from({ length: 4 }, () => []);
    const cps: string[][] = Array.from({ length: 5 }, () => []);
    for (let i = 0; i < batchSize; i++) {
      const occurredAt = new Date(first + (done + i) * step).toISOString();
      const n = done + i;
      // Counter-based ids (the evt_ shape, without the random part): id generation is not measured.
      const eventId = `evt_${String(n).padStart(26, "0")}`;
      const ventureId = `ven_${String(n).padStart(26, "0")}`;
      const body = {
        id: eventId,
        type: "orchestration.venture_created",
        schemaVersion: 1,
        stream: { type: "venture", id: ventureId, version: 1 },
        portfolioId: "pf_bench",
        occurredAt,
        actor: { type: "system", id: "bench" },
        correlationId: "cor_bench",
        causationId: null,
        payload: {
          ventureId,
          portfolioId: "pf_bench",
          name: "Benchmark venture with a realistic name",
          slug: `benchmark-venture-${n}`,
          goal: "Reach ten thousand dollars of monthly recurring revenue selling robot kits to schools",
          stage: "idea",
        },
      };
      // The canonical JSON of `body`, written out (keys in sorted order) because canonicalJson's
      // generic walk costs more than the rest of the generator; the first envelope is checked
      // against it below.
      const envelope =
        `{"actor":{"id":"bench","type":"system"},"causationId":null,"correlationId":"cor_bench","id":"${eventId}",` +
        `"occurredAt":"${occurredAt}","payload":{"goal":"${body.payload.goal}","name":"${body.payload.name}",` +
        `"portfolioId":"pf_bench","slug":"${body.payload.slug}","stage":"idea","ventureId":"${ventureId}"},` +
        `"portfolioId":"pf_bench","schemaVersion":1,"stream":{"id":"${ventureId}","type":"venture","version":1},` +
        `"type":"orchestration.venture_created"}`;
      if (n === 0 && envelope !== canonicalJson(body))
        throw new Error("the bench envelope is not canonical JSON");
      sequence += 1;
      const prevHash = hash;
      hash = chainHash(prevHash, sequence, envelope);
      const values = [
        body.id,
        body.type,
        "1",
        "venture",
        ventureId,
        "1",
        "pf_bench",
        occurredAt,
        "system",
        "bench",
        "cor_bench",
        envelope,
      ];
      appendColumns(rows, values);
      appendColumns(chain, [String(sequence), eventId, prevHash, hash]);
      if (sequence % checkpointEvery === 0) {
        // Signed shortly after the event, as the checkpoint loop would.
        const signedAt = new Date(Date.parse(occurredAt) + 1_000).toISOString();
        const unsigned = { sequence, headHash: hash, signedAt, keyId: key.keyId };
        const signature = signBytes(key.privateKey, checkpointBytes(unsigned));
        appendColumns(cps, [String(sequence), hash, signedAt, key.keyId, signature]);
        checkpoints++;
      }
    }
    if (pending.length >= 2) await pending.shift();
    pending.push(insert(rows, chain, cps));
  }
  await Promise.all(pending);
  const loadedAt = performance.now();
  await rebuild();
  process.stderr.write(
    `  loaded in ${((loadedAt - startedAt) / 1000).toFixed(1)} s, indexes rebuilt in ${((performance.now() - loadedAt) / 1000).toFixed(1)} s\n`,
  );
  await db.$executeRawUnsafe("UPDATE chain_head SET sequence = $1, hash = $2 WHERE id = 1", sequence, hash);
  await db.$executeRawUnsafe("ANALYZE event_log; ANALYZE event_chain");
  return { events: eventCount, checkpoints };
}

const bench: Bench = {
  name: "evidence",
  async run() {
    const database = await scratchDatabase();
    const db = createDb(database.url, { poolMax: 4, statementTimeoutMs: 300_000 });
    const dir = temporaryDir("bench-evidence");
    try {
      const keyring = AuditKeyring.open(path.join(dir, "keys"));
      // The key is valid from a year ago, so checkpoints dated inside the period verify.
      const now = Date.now();
      await syncKeyring({ db, keyring, clock: { now: () => new Date(now - 365 * 86_400_000) } });
      await sealAll(db);

      let started = performance.now();
      const generated = await generate(db, keyring, now);
      const generateSeconds = (performance.now() - started) / 1000;
      process.stderr.write(`  generated ${generated.events} events in ${generateSeconds.toFixed(1)} s\n`);

      const pack = await requestEvidencePack({
        db,
        actor: { type: "system", id: "bench" },
        correlationId: "cor_bench",
        portfolioId: "pf_bench",
        from: new Date(now - periodDays * 86_400_000),
        to: new Date(now + 86_400_000),
      });
      started = performance.now();
      const built = await buildNextEvidencePack({
        db,
        keyring,
        copies: [directoryCopies(path.join(dir, "checkpoints"))],
        packDir: path.join(dir, "packs"),
      });
      const exportSeconds = (performance.now() - started) / 1000;
      if (built?.id !== pack.id || built.status !== "ready") {
        throw new Error(`the pack was not built: ${built?.status} ${built?.error}`);
      }
      const packPath = path.join(dir, "packs", built.fileName!);
      process.stderr.write(
        `  exported ${built.eventsTotal} events (${built.bytes} bytes) in ${exportSeconds.toFixed(1)} s\n`,
      );

      // The verifier as an auditor runs it, in a process of its own with no database and no
      // environment; it reports its own peak resident memory (process.resourceUsage().maxRSS).
      started = performance.now();
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ["--import", "tsx", path.resolve("scripts/cli.ts"), "verify", packPath, "--quiet"],
        {
          env: { PATH: process.env.PATH ?? "", NODE_ENV: "production" },
          cwd: process.cwd(),
          maxBuffer: 1 << 20,
        },
      );
      const verifyWallSeconds = (performance.now() - started) / 1000;
      const ok = /^OK: .* verified: (\d+) events.* in ([\d.]+) s, peak memory (\d+) MB/m.exec(stdout);
      if (!ok) throw new Error(`the offline verifier did not pass: ${stdout}`);
      const [, verifiedEvents, verifySeconds, peakMb] = ok;
      process.stderr.write(
        `  verified offline in ${verifySeconds} s (${verifyWallSeconds.toFixed(1)} s with start-up), peak ${peakMb} MB\n`,
      );

      return {
        evidence_generate_events_per_s: {
          value: round(generated.events / generateSeconds, 0),
          unit: "events/s",
          note: `${generated.events} events and ${generated.checkpoints} signed checkpoints; fast generator (see file header)`,
        },
        evidence_pack_export_s: {
          value: round(exportSeconds, 1),
          unit: "s",
          note: `90-day pack of ${built.eventsTotal} events, ${(built.bytes! / 1024 / 1024).toFixed(0)} MB gzipped; target < 60 s`,
        },
        evidence_pack_verify_s: {
          value: Number(verifySeconds),
          unit: "s",
          note: `offline, ${verifiedEvents} events, child process (${verifyWallSeconds.toFixed(1)} s wall with start-up); target < 30 s`,
        },
        evidence_pack_verify_peak_rss_mb: {
          value: Number(peakMb),
          unit: "MB",
          note: "peak resident memory of the verifier process; target < 512 MB",
        },
      };
    } finally {
      await db.$disconnect();
      await database.drop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default bench;

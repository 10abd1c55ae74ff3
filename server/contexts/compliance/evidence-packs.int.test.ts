// Evidence packs end to end on the real database: built from a seeded log with ledger, policy
// versions and findings; verified offline (also through `venture verify` in a child process with
// no database and no environment); and every tamper named.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { gunzipSync, gzipSync } from "node:zlib";
import { jetstreamManager } from "@nats-io/jetstream";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "@/server/shared/clock";
import { withTransaction } from "@/server/shared/db";
import { chainHash } from "@/server/shared/events/chain";
import { appendEvents, type NewEvent } from "@/server/shared/events/store";
import { openTestServices, type TestServices } from "@/test/services";
import {
  type CheckpointCopies,
  checkpointStreamNames,
  directoryCopies,
  ensureCheckpointStream,
  jetStreamCopies,
} from "./checkpoint-copies";
import {
  buildNextEvidencePack,
  evidencePackFile,
  getEvidencePack,
  requestEvidencePack,
} from "./evidence-packs";
import { raiseFinding } from "./findings";
import { AuditKeyring } from "./keyring";
import { packFiles } from "./pack-format";
import { signCheckpointIfDue } from "./sign-checkpoint";
import { signBytes } from "./signing";
import { syncKeyring } from "./sync-keyring";
import { sealAll, seedEvents, temporaryDir, testActor } from "./testing";
import { verifyEvidencePack } from "./verify-evidence-pack";

let s: TestServices;
let dir: string;
let keyring: AuditKeyring;
let copies: CheckpointCopies[];
let packPath: string;
let packId: string;
let approvals = 0;
const portfolioId = "pf_evidence";
const day = (n: number) => new Date(Date.UTC(2026, 7, n, 12));

async function ledgerEntry(entryId: string, at: Date, debit: string, credit: string, amount: number) {
  await withTransaction(s.db, async (tx) => {
    await tx.$executeRawUnsafe(
      "INSERT INTO ledger_entries (id, portfolio_id, posting_count, memo, created_at) VALUES ($1, $2, 2, 'test', $3)",
      entryId,
      portfolioId,
      at,
    );
    await tx.$executeRawUnsafe(
      `INSERT INTO ledger_postings (entry_id, posting_count, seq, account_id, book_id, currency, amount_minor)
       VALUES ($1, 2, 0, $2, $4, 'USD', $5), ($1, 2, 1, $3, $4, 'USD', $6)`,
      entryId,
      debit,
      credit,
      portfolioId,
      amount,
      -amount,
    );
  });
}

/** Approval events inside the period are copied to approvals.jsonl. The agents catalog belongs
 * to another context and may change: if this payload no longer fits, the pack simply has none. */
async function appendApproval(): Promise<number> {
  return withTransaction(s.db, async (tx) => {
    await appendEvents(tx, { actor: testActor, correlationId: "cor_approval", clock: fixedClock(day(9)) }, [
      {
        type: "agents.tool_approval_requested",
        stream: { type: "tool_approval", id: "apr_test" },
        expectedVersion: 0,
        portfolioId,
        payload: {
          approvalId: "apr_test",
          ventureId: "ven_test",
          taskId: "tsk_test",
          tool: "web.search",
          argsHash: "0".repeat(64),
          args: {},
          expiresAt: day(10).toISOString(),
        },
      } as NewEvent,
    ]);
    return 1;
  }).catch(() => 0);
}

async function raiseTestFinding(): Promise<void> {
  await withTransaction(s.db, (tx) =>
    raiseFinding(
      tx,
      { actor: testActor, correlationId: "cor_finding", clock: fixedClock(day(11)) },
      {
        severity: "high",
        kind: "test",
        title: "A finding for the pack",
        detail: "kept in findings.jsonl",
        portfolioId,
      },
    ),
  );
}

beforeAll(async () => {
  s = await openTestServices();
  dir = temporaryDir("packs");
  keyring = AuditKeyring.open(path.join(dir, "keys"));
  await syncKeyring({ db: s.db, keyring, clock: fixedClock(day(1)) });
  await ensureCheckpointStream(s.nc, s.namespace, 1);
  copies = [directoryCopies(path.join(dir, "checkpoints")), jetStreamCopies(s.nc, s.namespace)];
  const checkpoint = (clock = fixedClock(day(28))) =>
    signCheckpointIfDue({ db: s.db, keyring, copies, clock, schedule: { everyEvents: 1, everySeconds: 1 } });

  // Days 1-4 before the period, 5-14 inside it, 15-16 after it, appended in time order (the range
  // is contiguous in the chain); an approval on day 9, a finding on day 11; checkpoints along the way.
  for (let d = 1; d <= 16; d++) {
    await seedEvents(s.db, { count: 7, portfolioId, clock: fixedClock(day(d)) });
    if (d === 9) approvals = await appendApproval();
    if (d === 11) await raiseTestFinding();
    if (d % 3 === 0) await checkpoint();
  }
  await sealAll(s.db);

  // Ledger: two accounts, entries before and inside the period.
  for (const [code, kind] of [
    ["cash", "asset"],
    ["equity", "equity"],
  ] as const) {
    await s.db.$executeRawUnsafe(
      `INSERT INTO ledger_accounts (id, portfolio_id, venture_id, book_id, code, currency, kind,
         debits_must_not_exceed_credits, credits_must_not_exceed_debits, floor_minor, created_at)
       VALUES ($1, $2, NULL, $2, $3, 'USD', $4, false, false, 0, $5)`,
      `${portfolioId}:${code}:USD`,
      portfolioId,
      code,
      kind,
      day(1),
    );
  }
  await ledgerEntry("ent_1", day(2), `${portfolioId}:cash:USD`, `${portfolioId}:equity:USD`, 100_000);
  await ledgerEntry("ent_2", day(8), `${portfolioId}:cash:USD`, `${portfolioId}:equity:USD`, 2_500);
  await ledgerEntry("ent_3", day(15), `${portfolioId}:cash:USD`, `${portfolioId}:equity:USD`, 7);

  // A policy version in force at the start and one published inside the period.
  const text = (n: number) => `permit (principal, action, resource) when { ${n} == ${n} };`;
  await s.db.$executeRawUnsafe(
    `INSERT INTO policy_sets (portfolio_id, scope, active_number, latest_number, stream_version, created_at, updated_at)
     VALUES ($1, 'treasury', NULL, 2, 2, $2, $2)`,
    portfolioId,
    day(1),
  );
  for (const [n, at] of [
    [1, day(2)],
    [2, day(10)],
  ] as const) {
    await s.db.$executeRawUnsafe(
      `INSERT INTO policy_versions (portfolio_id, scope, number, text, version_hash, policy_ids, note,
         created_by_type, created_by_id, created_at)
       VALUES ($1, 'treasury', $2, $3, $4, ARRAY['p1'], NULL, 'user', 'usr_test', $5)`,
      portfolioId,
      n,
      text(n),
      createHash("sha256").update(text(n)).digest("hex"),
      at,
    );
  }
  await sealAll(s.db);
  await checkpoint(fixedClock(new Date()));

  const requested = await requestEvidencePack({
    db: s.db,
    actor: testActor,
    correlationId: "cor_pack",
    portfolioId,
    from: day(5),
    to: day(15),
  });
  packId = requested.id;
  const built = await buildNextEvidencePack({ db: s.db, keyring, copies, packDir: path.join(dir, "packs") });
  expect(built).toMatchObject({ id: packId, status: "ready", error: null });
  packPath = path.join(dir, "packs", `${packId}.tar.gz`);
}, 120_000);

afterAll(async () => {
  const jsm = await jetstreamManager(s.nc);
  await jsm.streams.delete(checkpointStreamNames(s.namespace).stream).catch(() => {});
  await s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Reads a pack into memory (small test packs only), lets `edit` change it, writes it back gzipped. */
async function rewritePack(
  source: string,
  edit: (files: Map<string, Buffer>) => void,
  target = path.join(dir, `tampered-${Math.random().toString(36).slice(2)}.tar.gz`),
): Promise<string> {
  const files = new Map<string, Buffer>();
  const extract = tar.extract();
  const done = (async () => {
    for await (const entry of extract) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
      files.set(entry.header.name, Buffer.concat(chunks));
    }
  })();
  extract.end(gunzipSync(fs.readFileSync(source)));
  await done;
  edit(files);
  const pack = tar.pack();
  const out: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack as AsyncIterable<Buffer>) out.push(chunk);
  })();
  for (const [name, bytes] of files) pack.entry({ name, size: bytes.length }, bytes);
  pack.finalize();
  await collected;
  fs.writeFileSync(target, gzipSync(Buffer.concat(out)));
  return target;
}

describe("building a pack", () => {
  it("records the build: ready, with its file, hashes, range and covered portfolios", async () => {
    const view = await getEvidencePack({ db: s.db, portfolioId, packId });
    expect(view).toMatchObject({
      status: "ready",
      fileName: `${packId}.tar.gz`,
      coveredPortfolios: [portfolioId],
    });
    expect(view.eventsTotal).toBeGreaterThanOrEqual(70);
    expect(view.sha256).toBe(createHash("sha256").update(fs.readFileSync(packPath)).digest("hex"));
    const events = await s.db.$queryRawUnsafe<Array<{ type: string }>>(
      "SELECT type FROM event_log WHERE type LIKE 'compliance.evidence_pack_%' ORDER BY position",
    );
    expect(events.map((e) => e.type)).toEqual([
      "compliance.evidence_pack_requested",
      "compliance.evidence_pack_built",
    ]);
  });

  it("holds the period's events from the anchor, checkpoints, keys, policies, findings and the ledger", async () => {
    const names: string[] = [];
    await rewritePack(packPath, (files) => {
      names.push(...files.keys());
      const manifest = JSON.parse(files.get(packFiles.manifest)!.toString());
      const lines = files
        .get(packFiles.events)!
        .toString()
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(lines[0].prevHash).toBe(manifest.chain.anchor.hash);
      expect(lines.at(-1).sequence).toBe(manifest.chain.lastSequence);
      const occurred = lines.map((l) => JSON.parse(l.envelope).occurredAt as string);
      expect(occurred.every((at) => at >= day(5).toISOString() && at < day(15).toISOString())).toBe(true);
      // 10 days of 7 seeded events, the approval, and the finding raised on day 11.
      expect(lines).toHaveLength(70 + approvals + 1);
      expect(files.get(packFiles.approvals)!.toString().trim().split("\n").filter(Boolean)).toHaveLength(
        approvals,
      );
      const policies = files
        .get(packFiles.policyVersions)!
        .toString()
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      expect(policies.map((p) => [p.number, p.role])).toEqual([
        [1, "in_force_at_start"],
        [2, "published_in_period"],
      ]);
      const balance = JSON.parse(files.get(packFiles.trialBalance)!.toString());
      expect(balance.currencies).toEqual([
        { currency: "USD", debitsPostedMinor: "102500", creditsPostedMinor: "102500" },
      ]);
      const cash = files
        .get(packFiles.statements)!
        .toString()
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
        .find((l) => l.accountId.includes(":cash:"));
      expect(cash).toMatchObject({
        openingMinor: "100000",
        debitsMinor: "2500",
        creditsMinor: "0",
        closingMinor: "102500",
        postings: 1,
      });
      expect(files.get(packFiles.findings)!.toString()).toContain("A finding for the pack");
    });
    expect(names.slice(0, 3)).toEqual([packFiles.manifest, packFiles.signature, packFiles.keys]);
  });

  it("passes the offline verifier, checking files, signature, chain, checkpoints and the ledger", async () => {
    const report = await verifyEvidencePack(packPath);
    expect(report.failure).toBeNull();
    expect(report.ok).toBe(true);
    expect(report.events).toBeGreaterThanOrEqual(70);
    expect(report.checkpoints).toBeGreaterThanOrEqual(3);
    const text = report.checks.join("\n");
    expect(text).toMatch(/manifest signed by ak_/);
    expect(text).toMatch(/closing checkpoint: sequence/);
    expect(text).toMatch(/trial balance recomputed from 4 postings on 2 accounts matches/);
    expect(text).toMatch(/every file matches its SHA-256/);
  });

  it("is downloadable only by someone who may export every portfolio it covers", async () => {
    const file = await evidencePackFile({
      db: s.db,
      portfolioId,
      packId,
      exportablePortfolios: [portfolioId],
    });
    expect(file).toMatchObject({
      fileName: `${packId}.tar.gz`,
      contentType: "application/gzip",
      filePath: packPath,
    });
    await expect(
      evidencePackFile({ db: s.db, portfolioId, packId, exportablePortfolios: [] }),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(
      evidencePackFile({ db: s.db, portfolioId: "pf_other", packId, exportablePortfolios: ["pf_other"] }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});

describe("offline verification names every tamper", () => {
  it("a pack file edited by one byte: fails naming the file", async () => {
    const tampered = await rewritePack(packPath, (files) => {
      const findings = Buffer.from(files.get(packFiles.findings)!);
      const at = findings.indexOf("A finding");
      findings[at] = "B".charCodeAt(0);
      files.set(packFiles.findings, findings);
    });
    const report = await verifyEvidencePack(tampered);
    expect(report.ok).toBe(false);
    expect(report.failure).toMatchObject({ file: packFiles.findings, reason: "hash_mismatch" });
  });

  it("an event line changed: fails naming the sequence", async () => {
    let sequence = 0;
    const tampered = await rewritePack(packPath, (files) => {
      const lines = files.get(packFiles.events)!.toString().split("\n");
      const row = JSON.parse(lines[10]!);
      sequence = row.sequence;
      row.envelope = row.envelope.replace("seed", "SEED");
      lines[10] = JSON.stringify(row);
      files.set(packFiles.events, Buffer.from(lines.join("\n")));
    });
    const report = await verifyEvidencePack(tampered);
    expect(report.failure).toMatchObject({ file: packFiles.events, sequence, reason: "modified" });
    expect(report.failure?.message).toMatch(new RegExp(`sequence ${sequence} was modified`));
  });

  it("an event line removed: fails naming the missing sequence", async () => {
    let sequence = 0;
    const tampered = await rewritePack(packPath, (files) => {
      const lines = files.get(packFiles.events)!.toString().split("\n");
      sequence = JSON.parse(lines[20]!).sequence;
      lines.splice(20, 1);
      files.set(packFiles.events, Buffer.from(lines.join("\n")));
    });
    expect((await verifyEvidencePack(tampered)).failure).toMatchObject({
      file: packFiles.events,
      sequence,
      reason: "removed",
    });
  });

  it("a consistently recomputed chain in the pack: fails against its signed checkpoints", async () => {
    const tampered = await rewritePack(packPath, (files) => {
      const lines = files
        .get(packFiles.events)!
        .toString()
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l));
      let prev = lines[0].prevHash as string;
      for (const [i, row] of lines.entries()) {
        if (i === 5) row.envelope = row.envelope.replace("seed", "SEED");
        row.prevHash = prev;
        row.hash = chainHash(prev, row.sequence, row.envelope);
        prev = row.hash;
      }
      files.set(packFiles.events, Buffer.from(`${lines.map((l) => JSON.stringify(l)).join("\n")}\n`));
    });
    const report = await verifyEvidencePack(tampered);
    expect(report.ok).toBe(false);
    expect(report.failure?.file).toBe(packFiles.events);
    expect(["checkpoint_mismatch", "hash_mismatch"]).toContain(report.failure?.reason);
  });

  it("the manifest signature swapped: fails on the signature", async () => {
    const tampered = await rewritePack(packPath, (files) => {
      const sig = JSON.parse(files.get(packFiles.signature)!.toString());
      const other = keyring.activeKey()!;
      sig.signature = signBytes(other.privateKey, Buffer.from("something else"));
      files.set(packFiles.signature, Buffer.from(JSON.stringify(sig)));
    });
    expect((await verifyEvidencePack(tampered)).failure).toMatchObject({
      file: packFiles.signature,
      reason: "bad_signature",
    });
  });

  it("a manifest edited to match an edited file: fails on the signature", async () => {
    const tampered = await rewritePack(packPath, (files) => {
      const findings = Buffer.concat([files.get(packFiles.findings)!, Buffer.from("{}\n")]);
      files.set(packFiles.findings, findings);
      const manifest = JSON.parse(files.get(packFiles.manifest)!.toString());
      const entry = manifest.files.find((f: { path: string }) => f.path === packFiles.findings);
      entry.sha256 = createHash("sha256").update(findings).digest("hex");
      entry.bytes = findings.length;
      files.set(packFiles.manifest, Buffer.from(JSON.stringify(manifest, null, 2)));
    });
    expect((await verifyEvidencePack(tampered)).failure).toMatchObject({
      file: packFiles.signature,
      reason: "bad_signature",
    });
  });

  it("a pinned key that did not sign the pack: refused", async () => {
    const report = await verifyEvidencePack(packPath, { pinnedKeyId: "ak_000000000000000000000000" });
    expect(report.failure).toMatchObject({ file: packFiles.signature, reason: "unpinned_key" });
    expect((await verifyEvidencePack(packPath, { pinnedKeyId: keyring.activeKey()!.keyId })).ok).toBe(true);
  });

  it("a corrupted archive: fails naming the pack", async () => {
    const bytes = fs.readFileSync(packPath);
    bytes[Math.floor(bytes.length / 2)]! ^= 0xff;
    const broken = path.join(dir, "broken.tar.gz");
    fs.writeFileSync(broken, bytes);
    const report = await verifyEvidencePack(broken);
    expect(report.ok).toBe(false);
    expect(report.failure?.file).toBe(broken);
  });

  it("`venture verify` runs with no database and no environment, exiting 0, or 1 naming the failure", async () => {
    const run = promisify(execFile);
    const cli = path.resolve("bin/venture.mjs");
    // Only PATH (to find node): no DATABASE_URL, no NATS, no secrets.
    const env = { PATH: process.env.PATH ?? "", NODE_ENV: "production" as const };
    const ok = await run(process.execPath, [cli, "verify", packPath], { env, cwd: dir });
    expect(ok.stdout).toMatch(/OK: evidence pack/);
    const tampered = await rewritePack(packPath, (files) => {
      const findings = Buffer.from(files.get(packFiles.findings)!);
      findings[5] = findings[5] === 0x61 ? 0x62 : 0x61;
      files.set(packFiles.findings, findings);
    });
    const failed = await run(process.execPath, [cli, "verify", tampered], { env, cwd: dir }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr).toMatch(/FAILED: findings\.jsonl/);
  }, 60_000);
});

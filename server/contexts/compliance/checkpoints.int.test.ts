// Signed checkpoints and the audit-trail tamper suite, against the real PostgreSQL and NATS.
import fs from "node:fs";
import path from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fixedClock } from "@/server/shared/clock";
import { verifyEventLog } from "@/server/shared/events/verify";
import { openTestServices, type TestServices } from "@/test/services";
import {
  type CheckpointCopies,
  checkpointStreamNames,
  directoryCopies,
  ensureCheckpointStream,
  jetStreamCopies,
} from "./checkpoint-copies";
import { startComplianceWorker } from "./compliance-worker";
import { listFindings } from "./findings";
import { AuditKeyring } from "./keyring";
import { listCheckpoints, signCheckpointIfDue } from "./sign-checkpoint";
import { listAuditKeys, rotateAuditKey, syncKeyring } from "./sync-keyring";
import {
  asSuperuser,
  rewriteChainConsistently,
  sealAll,
  seedEvents,
  temporaryDir,
  testActor,
} from "./testing";
import {
  getVerification,
  requestVerification,
  runNextVerification,
  scheduleVerificationIfDue,
} from "./verifications";
import { verifyAuditTrail } from "./verify-audit-trail";

type Setup = { s: TestServices; dir: string; keyring: AuditKeyring; copies: CheckpointCopies[] };

const opened: Setup[] = [];

/** Fresh services, keyring and copies: each tamper case gets a log of its own. */
async function setup(): Promise<Setup> {
  const s = await openTestServices();
  const dir = temporaryDir("checkpoints");
  const keyring = AuditKeyring.open(path.join(dir, "keys"));
  await syncKeyring({ db: s.db, keyring });
  await ensureCheckpointStream(s.nc, s.namespace, 1);
  const copies = [directoryCopies(path.join(dir, "checkpoints")), jetStreamCopies(s.nc, s.namespace)];
  const created = { s, dir, keyring, copies };
  opened.push(created);
  return created;
}

/** A log of `events` events with a checkpoint every `every` events. */
async function checkpointedLog(t: Setup, events: number, every: number): Promise<void> {
  for (let done = 0; done < events; done += every) {
    await seedEvents(t.s.db, { count: Math.min(every, events - done) });
    await signCheckpointIfDue({
      db: t.s.db,
      keyring: t.keyring,
      copies: t.copies,
      schedule: { everyEvents: every, everySeconds: 3600 },
    });
  }
}

let t: Setup;

beforeAll(async () => {
  t = await setup();
});
afterAll(async () => {
  for (const o of opened) {
    const jsm = await jetstreamManager(o.s.nc);
    await jsm.streams.delete(checkpointStreamNames(o.s.namespace).stream).catch(() => {});
    await o.s.close();
    fs.rmSync(o.dir, { recursive: true, force: true });
  }
});

describe("keyring", () => {
  it("creates an ed25519 key on first use: private file 0600, public key published with its event", async () => {
    const [key] = await listAuditKeys({ db: t.s.db });
    expect(key).toMatchObject({ algorithm: "ed25519", validTo: null });
    expect(key!.publicKeyPem).toContain("BEGIN PUBLIC KEY");
    const file = path.join(t.dir, "keys", `${key!.keyId}.key.pem`);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(t.dir, "keys")).mode & 0o777).toBe(0o700);
    const events = await t.s.db.$queryRawUnsafe<Array<{ type: string }>>(
      "SELECT type FROM event_log WHERE type = 'compliance.signing_key_added'",
    );
    expect(events).toHaveLength(1);
    // Opening again (a restart) reuses the key and publishes nothing new.
    const again = await syncKeyring({ db: t.s.db, keyring: AuditKeyring.open(path.join(t.dir, "keys")) });
    expect(again).toEqual({ activeKeyId: key!.keyId, published: [] });
  });

  it("refuses to change or delete a published key, apart from retiring it once", async () => {
    await expect(t.s.db.$executeRawUnsafe("UPDATE audit_keys SET public_key_pem = 'x'")).rejects.toThrow(
      /immutable/,
    );
    await expect(t.s.db.$executeRawUnsafe("DELETE FROM audit_keys")).rejects.toThrow(/immutable/);
  });
});

describe("signing checkpoints", () => {
  it("signs every N events or T seconds, whichever first, and nothing while the head has not moved", async () => {
    const local = await setup();
    const clock = fixedClock(new Date());
    const schedule = { everyEvents: 5, everySeconds: 60 };
    const sign = () =>
      signCheckpointIfDue({ db: local.s.db, keyring: local.keyring, copies: local.copies, schedule, clock });
    await sealAll(local.s.db);
    const first = await sign();
    expect(first.checkpoint?.sequence).toBe(1);
    expect((await sign()).checkpoint).toBeNull();
    await seedEvents(local.s.db, { count: 4 });
    expect((await sign()).checkpoint).toBeNull();
    await seedEvents(local.s.db, { count: 1 });
    expect((await sign()).checkpoint?.sequence).toBe(6);
    await seedEvents(local.s.db, { count: 1 });
    clock.advance(59_000);
    expect((await sign()).checkpoint).toBeNull();
    clock.advance(1_000);
    expect((await sign()).checkpoint?.sequence).toBe(7);
    clock.advance(3_600_000);
    expect((await sign()).checkpoint).toBeNull();
    expect((await listCheckpoints({ db: local.s.db })).map((c) => c.sequence)).toEqual([1, 6, 7]);
  });

  it("keeps each checkpoint in the append-only table, in the directory and on JetStream", async () => {
    await checkpointedLog(t, 12, 4);
    const stored = await listCheckpoints({ db: t.s.db });
    expect(stored.length).toBeGreaterThanOrEqual(3);
    for (const copy of t.copies) {
      const { checkpoints, unreadable } = await copy.readAll();
      expect(unreadable).toEqual([]);
      expect(checkpoints.sort((a, b) => a.sequence - b.sequence)).toEqual(stored);
    }
    const names = fs.readdirSync(path.join(t.dir, "checkpoints"));
    expect(names).toContain(`checkpoint-${String(stored[0]!.sequence).padStart(20, "0")}.json`);
    await expect(
      t.s.db.$executeRawUnsafe("UPDATE audit_checkpoints SET head_hash = head_hash"),
    ).rejects.toThrow(/append-only/);
    await expect(t.s.db.$executeRawUnsafe("DELETE FROM audit_checkpoints")).rejects.toThrow(/append-only/);
    await expect(t.s.db.$executeRawUnsafe("TRUNCATE audit_checkpoints")).rejects.toThrow(/append-only/);
  });

  it("verifies an intact trail against the database and both outside copies", async () => {
    const result = await verifyAuditTrail({
      db: t.s.db,
      copies: t.copies,
      keyringKeys: t.keyring.publicKeys(),
    });
    expect(result).toMatchObject({ ok: true, sources: ["database", "directory", "jetstream"] });
    expect(result.checkedCheckpoints).toBe((await listCheckpoints({ db: t.s.db })).length);
    expect(result.checkedEvents).toBeGreaterThan(12);
  });

  it("keeps verifying across a key rotation: old checkpoints under the old key, new ones under the new", async () => {
    const local = await setup();
    await checkpointedLog(local, 6, 3);
    const rotated = await rotateAuditKey({ db: local.s.db, keyring: local.keyring });
    expect(rotated.retiredKeyId).not.toBeNull();
    await checkpointedLog(local, 6, 3);
    const keys = await listAuditKeys({ db: local.s.db });
    expect(keys.map((k) => k.keyId)).toEqual([rotated.retiredKeyId, rotated.keyId]);
    expect(keys[0]!.validTo).not.toBeNull();
    const checkpoints = await listCheckpoints({ db: local.s.db });
    expect(new Set(checkpoints.map((c) => c.keyId))).toEqual(new Set([rotated.retiredKeyId, rotated.keyId]));
    expect((await verifyAuditTrail({ db: local.s.db, copies: local.copies })).ok).toBe(true);
  });
});

describe("tamper suite: verification names what changed", () => {
  it("a checkpoint signature swapped with another's (superuser, triggers off) is named", async () => {
    const local = await setup();
    await checkpointedLog(local, 9, 3);
    const [first, second] = await listCheckpoints({ db: local.s.db });
    await asSuperuser(local.s.databaseUrl, async (c) => {
      await c.query(
        `UPDATE audit_checkpoints a SET signature = b.signature FROM audit_checkpoints b
          WHERE a.sequence = $1 AND b.sequence = $2`,
        [first!.sequence, second!.sequence],
      );
    });
    const result = await verifyAuditTrail({ db: local.s.db, copies: local.copies });
    expect(result).toMatchObject({
      ok: false,
      reason: "checkpoint_signature",
      checkpointSequence: first!.sequence,
    });
    expect(result.message).toMatch(
      new RegExp(`^database: checkpoint at sequence ${first!.sequence} has an invalid signature`),
    );
  });

  it("a checkpoint row edited as superuser (its hash made to fit an edit) is named", async () => {
    const local = await setup();
    await checkpointedLog(local, 9, 3);
    const [, second] = await listCheckpoints({ db: local.s.db });
    await asSuperuser(local.s.databaseUrl, (c) =>
      c
        .query("UPDATE audit_checkpoints SET head_hash = repeat('a', 64) WHERE sequence = $1", [
          second!.sequence,
        ])
        .then(() => {}),
    );
    const result = await verifyAuditTrail({ db: local.s.db });
    expect(result).toMatchObject({
      ok: false,
      reason: "checkpoint_signature",
      checkpointSequence: second!.sequence,
    });
  });

  it("a modified event is named by the chain itself", async () => {
    const local = await setup();
    await checkpointedLog(local, 9, 3);
    await asSuperuser(local.s.databaseUrl, (c) =>
      c
        .query(
          `UPDATE event_log SET envelope = replace(envelope, 'seed', 'SEED')
            WHERE id = (SELECT event_id FROM event_chain WHERE sequence = 5)`,
        )
        .then(() => {}),
    );
    const result = await verifyAuditTrail({ db: local.s.db, copies: local.copies });
    expect(result).toMatchObject({ ok: false, reason: "modified", firstBadSequence: 5 });
  });

  it("a database rewritten consistently (chain recomputed, checkpoint rows deleted) is caught by the outside copies", async () => {
    const local = await setup();
    await checkpointedLog(local, 12, 4);
    const keyAdded = 1; // the signing_key_added event is sequence 1
    const target = 6 + keyAdded;
    await rewriteChainConsistently(local.s.databaseUrl, target, (envelope) =>
      envelope.replace("seed", "SEED"),
    );
    await asSuperuser(local.s.databaseUrl, (c) =>
      c.query("DELETE FROM audit_checkpoints WHERE sequence >= $1", [target]).then(() => {}),
    );
    // The stored chain verifies again, and so do the database's remaining checkpoints…
    expect((await verifyEventLog(local.s.db)).ok).toBe(true);
    expect((await verifyAuditTrail({ db: local.s.db })).ok).toBe(true);
    // …but the copies outside the database still hold what was signed.
    const result = await verifyAuditTrail({ db: local.s.db, copies: local.copies });
    expect(result.ok).toBe(false);
    expect(result.reason).toBe("checkpoint_mismatch");
    expect(result.firstBadSequence).toBeLessThanOrEqual(target);
    expect(result.checkpointSequence).toBeGreaterThanOrEqual(target);
    expect(result.message).toMatch(/^directory: .*was rewritten after it was signed/);
  });

  it("events removed at the end (chain head moved back, checkpoint rows deleted) are caught by the copies", async () => {
    const local = await setup();
    await checkpointedLog(local, 9, 3);
    const head = (await listCheckpoints({ db: local.s.db })).at(-1)!.sequence;
    await asSuperuser(local.s.databaseUrl, async (c) => {
      const cut = head - 2;
      await c.query("DELETE FROM audit_checkpoints WHERE sequence > $1", [cut]);
      const ids = (
        await c.query<{ event_id: string }>("SELECT event_id FROM event_chain WHERE sequence > $1", [cut])
      ).rows;
      await c.query("DELETE FROM event_chain WHERE sequence > $1", [cut]);
      await c.query("DELETE FROM event_log WHERE id = ANY($1)", [ids.map((r) => r.event_id)]);
      await c.query(
        "UPDATE chain_head SET sequence = $1, hash = (SELECT hash FROM event_chain WHERE sequence = $1)",
        [cut],
      );
    });
    expect((await verifyAuditTrail({ db: local.s.db })).ok).toBe(true);
    const result = await verifyAuditTrail({ db: local.s.db, copies: local.copies });
    expect(result).toMatchObject({
      ok: false,
      reason: "removed",
      firstBadSequence: head - 1,
      checkpointSequence: head,
    });
  });

  it("a checkpoint row deleted while its copies remain is named", async () => {
    const local = await setup();
    await checkpointedLog(local, 9, 3);
    await asSuperuser(local.s.databaseUrl, (c) =>
      c.query("DELETE FROM audit_checkpoints WHERE sequence = 4").then(() => {}),
    );
    const result = await verifyAuditTrail({ db: local.s.db, copies: local.copies });
    expect(result).toMatchObject({ ok: false, reason: "checkpoint_missing", checkpointSequence: 4 });
  });

  it("a public key replaced in the database is named against the keyring files", async () => {
    const local = await setup();
    await checkpointedLog(local, 3, 3);
    const other = AuditKeyring.open(path.join(local.dir, "other-keys"));
    other.ensureActiveKey(new Date());
    const [mine] = local.keyring.publicKeys();
    await asSuperuser(local.s.databaseUrl, (c) =>
      c
        .query("UPDATE audit_keys SET public_key_pem = $2 WHERE key_id = $1", [
          mine!.keyId,
          other.publicKeys()[0]!.publicKeyPem,
        ])
        .then(() => {}),
    );
    const result = await verifyAuditTrail({ db: local.s.db, keyringKeys: local.keyring.publicKeys() });
    expect(result).toMatchObject({ ok: false, reason: "key" });
    expect(result.message).toMatch(/was replaced/);
  });
});

describe("verification runs", () => {
  it("a requested run reports progress to its row and passes; its outcome is an event", async () => {
    const local = await setup();
    await checkpointedLog(local, 6, 3);
    const requested = await requestVerification({ db: local.s.db, actor: testActor, portfolioId: "pf_test" });
    expect(requested.status).toBe("queued");
    const done = await runNextVerification({ db: local.s.db, copies: local.copies });
    expect(done).toMatchObject({
      id: requested.id,
      status: "passed",
      sources: ["database", "directory", "jetstream"],
    });
    expect(done!.checkedEvents).toBe(done!.totalEvents);
    expect(
      await getVerification({ db: local.s.db, portfolioId: "pf_test", verificationId: requested.id }),
    ).toEqual(done);
    await expect(
      getVerification({ db: local.s.db, portfolioId: "pf_other", verificationId: requested.id }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await sealAll(local.s.db);
    const [event] = await local.s.db.$queryRawUnsafe<Array<{ envelope: string }>>(
      "SELECT envelope FROM events WHERE type = 'compliance.audit_trail_verified'",
    );
    expect(JSON.parse(event!.envelope).payload).toMatchObject({ verificationId: requested.id, ok: true });
  });

  it("a scheduled run that fails raises one critical finding, not one per run", async () => {
    const local = await setup();
    await checkpointedLog(local, 6, 3);
    expect(await scheduleVerificationIfDue({ db: local.s.db, everySeconds: 3600 })).toBe(true);
    expect(await scheduleVerificationIfDue({ db: local.s.db, everySeconds: 3600 })).toBe(false);
    await asSuperuser(local.s.databaseUrl, (c) =>
      c
        .query(
          `UPDATE event_log SET envelope = replace(envelope, 'seed', 'SEED')
            WHERE id = (SELECT event_id FROM event_chain WHERE sequence = 4)`,
        )
        .then(() => {}),
    );
    const failed = await runNextVerification({ db: local.s.db, copies: local.copies });
    expect(failed).toMatchObject({
      trigger: "scheduled",
      status: "failed",
      firstBadSequence: 4,
      reason: "modified",
    });
    await requestVerification({ db: local.s.db, actor: testActor, portfolioId: "pf_test" });
    expect((await runNextVerification({ db: local.s.db, copies: local.copies }))?.status).toBe("failed");
    const findings = await listFindings({ db: local.s.db, portfolioId: "pf_test" });
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      severity: "critical",
      kind: "audit_trail_integrity",
      status: "open",
    });
    expect(findings[0]!.title).toMatch(/event sequence 4/);
  });
});

describe("the compliance worker", () => {
  it("signs checkpoints on its own and answers a requested verification", async () => {
    const local = await setup();
    const worker = await startComplianceWorker(
      { db: local.s.db, nc: local.s.nc, namespace: local.s.namespace, log: local.s.log },
      {
        keyDir: path.join(local.dir, "keys"),
        checkpointDir: path.join(local.dir, "checkpoints"),
        packDir: path.join(local.dir, "packs"),
        checkpointEveryEvents: 5,
        checkpointEverySeconds: 3600,
        verifyEverySeconds: 3600,
        keyRotationDays: 90,
        checkpointStreamDays: 1,
      },
    );
    try {
      await seedEvents(local.s.db, { count: 7 });
      const deadline = Date.now() + 10_000;
      while ((await listCheckpoints({ db: local.s.db })).length === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect((await listCheckpoints({ db: local.s.db })).at(-1)?.sequence).toBeGreaterThanOrEqual(5);
      const requested = await requestVerification({
        db: local.s.db,
        actor: testActor,
        portfolioId: "pf_test",
      });
      let view = requested;
      while (view.status === "queued" || view.status === "running") {
        if (Date.now() > deadline + 10_000) break;
        await new Promise((r) => setTimeout(r, 100));
        view = await getVerification({
          db: local.s.db,
          portfolioId: "pf_test",
          verificationId: requested.id,
        });
      }
      expect(view.status).toBe("passed");
      expect(worker.stats.checkpointsSigned).toBeGreaterThanOrEqual(1);
    } finally {
      await worker.stop();
    }
  });
});

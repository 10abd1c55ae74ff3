// Continuous findings checks on the real services (COMPL-006): a portfolio whose money moved only
// as decided raises nothing; each seeded violation — money moved without an approval, money
// moved for a denied intent, an approval past its expiry, a pending approval left past its
// expiry, an audit trail that no longer verifies — raises exactly one finding, however often the
// checks run; auditors and admins acknowledge and resolve findings, other roles may not.
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { approveIntent } from "@/server/contexts/treasury/intents/api";
import { createIntent } from "@/server/contexts/treasury/intents/create-intent";
import { denyIntent } from "@/server/contexts/treasury/intents/deny-intent";
import {
  lockIntentForSettlement,
  recordIntentSettled,
} from "@/server/contexts/treasury/intents/intent-settlement";
import { fundedIntentFixture, type IntentFixture } from "@/server/contexts/treasury/intents/testing";
import { expenseAccountCode } from "@/server/contexts/treasury/ledger/accounts";
import { recordEntry, recordHoldPosted } from "@/server/contexts/treasury/ledger/record";
import { fixedClock } from "@/server/shared/clock";
import { withTransaction } from "@/server/shared/db";
import { appendEvents } from "@/server/shared/events/store";
import { handleHttpApi } from "@/server/trpc/http-api";
import { openTestServices, type TestServices } from "@/test/services";
import { directoryCopies } from "./checkpoint-copies";
import { runContinuousChecks } from "./continuous-checks";
import { buildNextEvidencePack, requestEvidencePack } from "./evidence-packs";
import { AuditKeyring } from "./keyring";
import { syncKeyring } from "./sync-keyring";
import { asSuperuser, sealAll, seedEvents, temporaryDir } from "./testing";
import { requestVerification, runNextVerification } from "./verifications";

let s: TestServices;
let clean: IntentFixture;
let dirty: IntentFixture;
let n = 0;
const moneyKinds = ["unapproved_spend", "policy_violation", "approval_past_expiry"];

beforeAll(async () => {
  s = await openTestServices();
  clean = await fundedIntentFixture(s.db, 5_000_000n);
  dirty = await fundedIntentFixture(s.db, 5_000_000n);
});
afterAll(async () => {
  await s.close();
});

async function create(fx: IntentFixture, amountMinor: string) {
  return createIntent({
    db: s.db,
    ...fx.as("founder"),
    requester: fx.requester("founder"),
    input: {
      portfolioId: fx.portfolioId,
      ventureId: fx.ventureId,
      amountMinor,
      currency: "USD",
      counterparty: "acme",
      category: "model_inference",
      purpose: "Checks",
      idempotencyKey: `checks-${++n}-${Math.random().toString(36).slice(2, 8)}`,
    },
  });
}

const decide = (fx: IntentFixture, intentId: string) => ({
  db: s.db,
  ...fx.as("finance_controller"),
  decider: { userId: fx.principals.finance_controller.userId, role: "finance_controller" as const },
  portfolioId: fx.portfolioId,
  intentId,
  note: "checked",
});

/** The rail paid an approved intent: the normal settlement path. */
async function settle(fx: IntentFixture, intentId: string) {
  await withTransaction(s.db, async (tx) => {
    const intent = await lockIntentForSettlement(tx, intentId);
    await recordIntentSettled(tx, fx.as("admin"), intent!, {
      rail: "sandbox",
      railReference: `ref-${intentId}`,
    });
  });
}

async function check() {
  await sealAll(s.db);
  const result = await runContinuousChecks({ db: s.db });
  expect(result.ran).toBe(true);
  return result;
}

async function findingsWithKey(dedupeKey: string) {
  return s.db.$queryRawUnsafe<
    Array<{ id: string; kind: string; severity: string; status: string; portfolio_id: string }>
  >("SELECT id, kind, severity, status, portfolio_id FROM findings WHERE dedupe_key = $1", dedupeKey);
}

describe("continuous checks", () => {
  it("raise nothing for a portfolio whose money moved only as decided", async () => {
    const automatic = await create(clean, "20000");
    expect(automatic.status).toBe("approved");
    await settle(clean, automatic.id);
    const approved = await create(clean, "60000");
    expect(approved.status).toBe("pending_approval");
    await approveIntent({ ...decide(clean, approved.id) });
    await settle(clean, approved.id);
    const denied = await create(clean, "70000");
    await denyIntent(decide(clean, denied.id));
    await create(clean, "80000"); // still pending, not expired
    const result = await check();
    expect(result.examinedEvents).toBeGreaterThan(0);
    expect(result.raised.filter((r) => r.portfolioId === clean.portfolioId)).toEqual([]);
    const findings = await clean
      .caller("auditor")
      .compliance.listFindings({ portfolioId: clean.portfolioId });
    expect(findings.filter((x) => moneyKinds.includes(x.kind))).toEqual([]);
  });

  it("raise one unapproved_spend when a pending intent's hold is posted, however often they run", async () => {
    const pending = await create(dirty, "60000");
    expect(pending.status).toBe("pending_approval");
    await withTransaction(s.db, (tx) =>
      recordHoldPosted(tx, dirty.as("admin"), { holdId: `${pending.id}:hold` }),
    );
    const first = await check();
    expect(first.raised.map((r) => r.dedupeKey)).toEqual([`unapproved_spend:${pending.id}`]);
    expect(await findingsWithKey(`unapproved_spend:${pending.id}`)).toEqual([
      expect.objectContaining({
        kind: "unapproved_spend",
        severity: "high",
        status: "open",
        portfolio_id: dirty.portfolioId,
      }),
    ]);
    // The cursor moved past it; a rescan from the start (a new checker) still raises it once.
    expect((await check()).raised).toEqual([]);
    await s.db.$executeRawUnsafe("UPDATE compliance_checks SET cursor_sequence = 0");
    expect((await check()).raised.filter((r) => r.portfolioId === dirty.portfolioId)).toEqual([]);
    expect(await findingsWithKey(`unapproved_spend:${pending.id}`)).toHaveLength(1);
  });

  it("raise one critical policy_violation when money moves for a denied intent", async () => {
    const intent = await create(dirty, "60000");
    await denyIntent(decide(dirty, intent.id));
    await withTransaction(s.db, (tx) =>
      recordEntry(tx, dirty.as("admin"), {
        id: `${intent.id}:rogue`,
        memo: `paid anyway for ${intent.id}`,
        postings: [
          {
            accountId: `${dirty.ventureId}:${expenseAccountCode("model_inference")}:USD`,
            amountMinor: 60_000n,
          },
          { accountId: `${dirty.ventureId}:budget:USD`, amountMinor: -60_000n },
        ],
      }),
    );
    const result = await check();
    expect(result.raised.map((r) => `${r.kind} ${r.dedupeKey}`)).toEqual([
      `policy_violation policy_violation:${intent.id}`,
    ]);
    expect(await findingsWithKey(`policy_violation:${intent.id}`)).toEqual([
      expect.objectContaining({ severity: "critical", status: "open" }),
    ]);
    expect(await findingsWithKey(`unapproved_spend:${intent.id}`)).toEqual([]);
    expect((await check()).raised).toEqual([]);
  });

  it("raise one approval_past_expiry for an approval recorded after the expiry, and one for a stale pending approval", async () => {
    const late = await create(dirty, "60000");
    const [row] = await s.db.$queryRawUnsafe<Array<{ version: number; expires_at: Date }>>(
      "SELECT version, expires_at FROM money_intents WHERE id = $1",
      late.id,
    );
    // An approval that slipped past the expiry (the use-case refuses it; the log is what counts).
    await withTransaction(s.db, (tx) =>
      appendEvents(
        tx,
        {
          ...dirty.as("finance_controller"),
          clock: fixedClock(new Date(row!.expires_at.getTime() + 60_000)),
        },
        [
          {
            type: "treasury.intent_approval_recorded",
            stream: { type: "money_intent", id: late.id },
            expectedVersion: row!.version,
            portfolioId: dirty.portfolioId,
            payload: {
              intentId: late.id,
              approverId: dirty.principals.finance_controller.userId,
              note: "late",
              approvalsGiven: 1,
              approvalsRequired: 1,
            },
          },
        ],
      ),
    );
    // A pending intent the expiry job never expired.
    const stale = await create(dirty, "60000");
    await s.db.$executeRawUnsafe(
      "UPDATE money_intents SET expires_at = now() - interval '1 hour' WHERE id = $1",
      stale.id,
    );
    const result = await check();
    expect(result.raised.map((r) => r.dedupeKey).sort()).toEqual(
      [`approval_after_expiry:${late.id}`, `stale_approval:${stale.id}`].sort(),
    );
    expect(result.raised.every((r) => r.kind === "approval_past_expiry")).toBe(true);
    expect((await findingsWithKey(`stale_approval:${stale.id}`))[0]).toMatchObject({ severity: "medium" });
    expect((await check()).raised).toEqual([]);
  });

  it("raise one medium approval_past_expiry when an approved intent's money moves after its expiry", async () => {
    const approved = await create(dirty, "20000");
    expect(approved.status).toBe("approved");
    const after = fixedClock(new Date(approved.expiresAt.getTime() + 60_000));
    await withTransaction(s.db, (tx) =>
      recordHoldPosted(tx, { ...dirty.as("admin"), clock: after }, { holdId: `${approved.id}:hold` }),
    );
    const result = await check();
    expect(result.raised.map((r) => r.dedupeKey)).toEqual([`spend_after_expiry:${approved.id}`]);
    expect(await findingsWithKey(`spend_after_expiry:${approved.id}`)).toEqual([
      expect.objectContaining({ kind: "approval_past_expiry", severity: "medium" }),
    ]);
    expect((await check()).raised).toEqual([]);
  });

  it("let auditors and admins acknowledge and resolve a finding; it is not raised again", async () => {
    const [finding] = await findingsWithKey(
      (
        await s.db.$queryRawUnsafe<Array<{ dedupe_key: string }>>(
          "SELECT dedupe_key FROM findings WHERE kind = 'unapproved_spend' AND portfolio_id = $1",
          dirty.portfolioId,
        )
      )[0]!.dedupe_key,
    );
    const input = { portfolioId: dirty.portfolioId, findingId: finding!.id };
    for (const role of ["founder", "finance_controller"] as const) {
      await expect(
        dirty.caller(role).compliance.updateFinding({ ...input, status: "acknowledged" }),
      ).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
    }
    await expect(
      dirty.caller("outsider").compliance.updateFinding({ ...input, status: "acknowledged" }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    // Another portfolio's auditor cannot reach it through their own portfolio either.
    await expect(
      clean
        .caller("auditor")
        .compliance.updateFinding({ ...input, portfolioId: clean.portfolioId, status: "acknowledged" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    const acknowledged = await dirty
      .caller("auditor")
      .compliance.updateFinding({ ...input, status: "acknowledged" });
    expect(acknowledged).toMatchObject({
      status: "acknowledged",
      statusChangedBy: `user:${dirty.principals.auditor.userId}`,
    });
    await expect(
      dirty.caller("admin").compliance.updateFinding({ ...input, status: "resolved" }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("note"),
    });
    expect((await findingsWithKey(acknowledged.dedupeKey!))[0]!.status).toBe("acknowledged");
    const resolved = await dirty.caller("admin").compliance.updateFinding({
      ...input,
      status: "resolved",
      note: "Paid twice by the sandbox; reversed",
    });
    expect(resolved).toMatchObject({ status: "resolved", statusNote: "Paid twice by the sandbox; reversed" });
    const events = await s.db.$queryRawUnsafe<Array<{ envelope: string }>>(
      "SELECT envelope FROM event_log WHERE type = 'compliance.finding_status_changed' AND stream_id = $1 ORDER BY position",
      finding!.id,
    );
    expect(events.map((e) => JSON.parse(e.envelope).payload)).toEqual([
      expect.objectContaining({ from: "open", to: "acknowledged" }),
      expect.objectContaining({
        from: "acknowledged",
        to: "resolved",
        note: "Paid twice by the sandbox; reversed",
      }),
    ]);
    await s.db.$executeRawUnsafe("UPDATE compliance_checks SET cursor_sequence = 0");
    expect((await check()).raised).toEqual([]);
    expect(await findingsWithKey(acknowledged.dedupeKey!)).toEqual([
      expect.objectContaining({ status: "resolved" }),
    ]);
    // Over HTTP: the list for every role, the change for auditors and admins only.
    const ctx = dirty.ctx("founder");
    const list = await handleHttpApi(
      new Request(`http://test/api/v1/findings?portfolioId=${dirty.portfolioId}&status=resolved`),
      "/findings",
      ctx,
    );
    expect(list.status).toBe(200);
    expect(((await list.json()) as Array<{ id: string }>).map((x) => x.id)).toContain(finding!.id);
    const refused = await handleHttpApi(
      new Request(`http://test/api/v1/findings/${finding!.id}/status`, {
        method: "POST",
        body: JSON.stringify({ portfolioId: dirty.portfolioId, status: "open" }),
      }),
      `/findings/${finding!.id}/status`,
      ctx,
    );
    expect(refused.status).toBe(403);
  });

  it("raise one audit_trail_integrity finding when the trail stops verifying, from verification and from a refused pack", async () => {
    const dir = temporaryDir("checks");
    const keyring = AuditKeyring.open(path.join(dir, "keys"));
    await syncKeyring({ db: s.db, keyring });
    await sealAll(s.db);
    await seedEvents(s.db, { count: 3, portfolioId: dirty.portfolioId });
    const [target] = await s.db.$queryRawUnsafe<Array<{ id: string }>>(
      "SELECT id FROM events WHERE type = 'orchestration.portfolio_created' AND stream_type = 'seed' ORDER BY sequence LIMIT 1",
    );
    await asSuperuser(s.databaseUrl, async (client) => {
      await client.query(
        `UPDATE event_log SET envelope = replace(envelope, '"name":"seed', '"name":"SEED') WHERE id = $1`,
        [target!.id],
      );
    });
    for (let run = 0; run < 2; run++) {
      await requestVerification({
        db: s.db,
        actor: { type: "system", id: "test" },
        portfolioId: dirty.portfolioId,
      });
      expect((await runNextVerification({ db: s.db, copies: [] }))?.status).toBe("failed");
    }
    const integrity = await s.db.$queryRawUnsafe<Array<{ title: string }>>(
      "SELECT title FROM findings WHERE kind = 'audit_trail_integrity'",
    );
    expect(integrity).toHaveLength(1);
    const pack = await requestEvidencePack({
      db: s.db,
      actor: { type: "system", id: "test" },
      correlationId: "cor_checks_pack",
      portfolioId: dirty.portfolioId,
      from: new Date(Date.now() - 86_400_000),
      to: new Date(Date.now() + 86_400_000),
    });
    const copies = [directoryCopies(path.join(dir, "checkpoints"))];
    const built = await buildNextEvidencePack({
      db: s.db,
      keyring,
      copies,
      packDir: path.join(dir, "packs"),
    });
    expect(built).toMatchObject({ id: pack.id, status: "failed" });
    const result = await check();
    expect(result.raised.map((r) => r.dedupeKey)).toEqual([`pack_refused:${pack.id}`]);
    expect((await check()).raised).toEqual([]);
  });
});

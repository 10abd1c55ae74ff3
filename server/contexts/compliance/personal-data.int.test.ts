// Personal data on the real services (COMPL-004/005): sealed at rest, opened for auditors and
// admins only, exported whole by a DSAR (and nothing of anyone else), erased by destroying the
// subject's key — after which the chain, every checkpoint and an evidence pack still verify and
// show the data as erased — idempotently, by admins only, and on schedule by retention.
import fs from "node:fs";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { jetstreamManager } from "@nats-io/jetstream";
import tar from "tar-stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pause, resume } from "@/server/contexts/control/api";
import { authenticatePassword } from "@/server/contexts/identity/authenticate-password";
import { grantMembership } from "@/server/contexts/identity/grant-membership";
import { registerUser } from "@/server/contexts/identity/register-user";
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import { recordRevenue } from "@/server/contexts/treasury/rails/api";
import { fixedClock } from "@/server/shared/clock";
import { withTransaction } from "@/server/shared/db";
import { parseEnvelope } from "@/server/shared/events/envelope";
import { readEvents } from "@/server/shared/events/store";
import { verifyEventLog } from "@/server/shared/events/verify";
import { type RoleFixture, roleFixture } from "@/server/trpc/fixtures";
import { handleHttpApi } from "@/server/trpc/http-api";
import { openTestServices, type TestServices } from "@/test/services";
import { type CheckpointCopies, checkpointStreamNames, directoryCopies } from "./checkpoint-copies";
import { startComplianceWorker } from "./compliance-worker";
import { buildNextEvidencePack, requestEvidencePack } from "./evidence-packs";
import { AuditKeyring } from "./keyring";
import { type PersonalDataLine, packFiles } from "./pack-format";
import { applyRetention } from "./retention";
import { signCheckpointIfDue } from "./sign-checkpoint";
import { syncKeyring } from "./sync-keyring";
import { sealAll, temporaryDir, testActor } from "./testing";
import { verifyAuditTrail } from "./verify-audit-trail";
import { verifyEvidencePack } from "./verify-evidence-pack";

let s: TestServices;
let f: RoleFixture;
let dir: string;
let keyring: AuditKeyring;
let copies: CheckpointCopies[];
let ventureId: string;
const tag = Math.random().toString(36).slice(2, 8);
const ada = {
  email: `ada-${tag}@example.test`,
  name: `Ada Lovelace ${tag}`,
  password: `pw-ada-${tag}`,
  id: "",
};
const bob = { email: `bob-${tag}@example.test`, name: `Bob Babbage ${tag}`, id: "" };
const carol = { email: `carol-${tag}@example.test`, name: `Carol Other ${tag}`, id: "" };
const grace = `Grace Hopper ${tag}`;
const otherCustomer = `Other Customer ${tag}`;

const ctx = (correlationId: string, clock?: ReturnType<typeof fixedClock>) => ({
  actor: testActor,
  correlationId,
  ...(clock ? { clock } : {}),
});

async function payment(customer: string | null, reference: string, clock?: ReturnType<typeof fixedClock>) {
  return withTransaction(s.db, (tx) =>
    recordRevenue(tx, ctx("cor_revenue", clock), {
      rail: "sandbox",
      railReference: `${reference}-${tag}`,
      ventureId,
      amountMinor: 2_500n,
      currency: "USD",
      customer,
      railCreatedAt: new Date(),
    }),
  );
}

async function signCheckpoint() {
  await sealAll(s.db);
  return signCheckpointIfDue({ db: s.db, keyring, copies, schedule: { everyEvents: 1, everySeconds: 1 } });
}

/** Events whose stored bytes contain the text anywhere (the log as an attacker reads it). */
async function rawEventsContaining(text: string): Promise<number> {
  const [row] = await s.db.$queryRawUnsafe<Array<{ n: bigint }>>(
    "SELECT count(*) AS n FROM event_log WHERE strpos(lower(envelope), lower($1)) > 0",
    text,
  );
  return Number(row!.n);
}

async function http(method: string, urlPath: string, as: Parameters<RoleFixture["ctx"]>[0], body?: unknown) {
  const init: RequestInit = { method };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const response = await handleHttpApi(new Request(`http://test/api/v1${urlPath}`, init), urlPath, f.ctx(as));
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  s = await openTestServices();
  f = await roleFixture(s.db, tag);
  dir = temporaryDir("personal");
  keyring = AuditKeyring.open(path.join(dir, "keys"));
  await syncKeyring({ db: s.db, keyring });
  copies = [directoryCopies(path.join(dir, "checkpoints"))];
  ventureId = (
    await createVenture({
      db: s.db,
      actor: testActor,
      correlationId: "cor_personal",
      portfolioId: f.portfolioId,
      name: `Personal ${tag}`,
      goal: null,
    })
  ).id;
  const person = async (who: typeof ada | typeof bob, portfolioId: string, password: string | null) => {
    who.id = (
      await registerUser({ db: s.db, ...ctx("cor_people"), email: who.email, name: who.name, password })
    ).userId;
    await grantMembership({ db: s.db, ...ctx("cor_people"), userId: who.id, portfolioId, role: "founder" });
  };
  await person(ada, f.portfolioId, ada.password);
  await person(bob, f.portfolioId, null);
  await person(carol, f.otherPortfolioId, null);
  // Ada pressed the kill-switch and released it: the control row names her in clear.
  const asAda = { db: s.db, actor: { type: "user" as const, id: ada.id }, actorName: ada.name, fanout: null };
  await pause({ ...asAda, correlationId: "cor_ada_pause", reason: "checking the brakes" });
  await resume({ ...asAda, correlationId: "cor_ada_resume", reason: "brakes work" });
  // Grace paid twice, another customer once; one payment named nobody.
  await payment(grace, "pay-1");
  await payment(` ${grace.toUpperCase()} `, "pay-2");
  await payment(otherCustomer, "pay-3");
  await payment(null, "pay-4");
  await signCheckpoint();
});

afterAll(async () => {
  // The compliance job of the retention test declared this namespace's checkpoint stream.
  const jsm = await jetstreamManager(s.nc);
  await jsm.streams.delete(checkpointStreamNames(s.namespace).stream).catch(() => false);
  await s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("personal data at rest", () => {
  it("is sealed in the log: no stored event holds an email, name or customer in clear", async () => {
    for (const text of [ada.email, ada.name, bob.email, carol.name, grace, otherCustomer]) {
      expect(`${text}: ${await rawEventsContaining(text)}`).toBe(`${text}: 0`);
    }
    const [registered] = await s.db.$queryRawUnsafe<Array<{ envelope: string }>>(
      "SELECT envelope FROM event_log WHERE type = 'identity.user_registered' AND stream_id = $1",
      ada.id,
    );
    const payload = (JSON.parse(registered!.envelope) as { payload: Record<string, unknown> }).payload;
    expect(Object.keys(payload).sort()).toEqual(["pii", "userId"]);
    expect(payload.pii).toMatchObject({
      alg: "A256GCM",
      subjectType: "person",
      subjectId: ada.id,
      fields: ["email", "name"],
    });
    // The subject's key is stored wrapped, never as the key itself.
    const [key] = await s.db.$queryRawUnsafe<Array<{ wrapped_key: Buffer; master_key_id: string }>>(
      "SELECT wrapped_key, master_key_id FROM personal_data_subjects WHERE subject_id = $1",
      ada.id,
    );
    expect(key!.wrapped_key).toHaveLength(60);
    expect(key!.master_key_id).toMatch(/^mk_[0-9a-f]{24}$/);
    // No ledger memo names a customer (ledger rows are immutable: they could never be erased).
    const [memo] = await s.db.$queryRawUnsafe<Array<{ n: bigint }>>(
      "SELECT count(*) AS n FROM ledger_entries WHERE strpos(lower(memo), lower($1)) > 0",
      grace,
    );
    expect(Number(memo!.n)).toBe(0);
  });

  it("is still a valid envelope for consumers, and the same customer is one subject", async () => {
    await sealAll(s.db);
    const sealed = (await readEvents(s.db, { portfolioId: f.portfolioId, limit: 1_000 })).filter(
      (e) => e.type === "treasury.revenue_received",
    );
    expect(sealed).toHaveLength(4);
    for (const event of sealed) expect(parseEnvelope(event)).toMatchObject({ ok: true });
    const subjects = sealed.map((e) => (e.payload as { pii?: { subjectId: string } }).pii?.subjectId ?? null);
    // Grace twice (name written differently), the other customer once, and nobody.
    expect(subjects[0]).toBe(subjects[1]);
    expect(new Set(subjects).size).toBe(3);
    expect(subjects[3]).toBeNull();
  });
});

describe("reading personal data", () => {
  it("the event detail opens it for auditors and admins and withholds it from other roles", async () => {
    const [event] = await s.db.$queryRawUnsafe<Array<{ sequence: bigint }>>(
      `SELECT sequence FROM events WHERE type = 'treasury.revenue_received' AND portfolio_id = $1
        ORDER BY sequence LIMIT 1`,
      f.portfolioId,
    );
    const input = { portfolioId: f.portfolioId, sequence: Number(event!.sequence) };
    for (const role of ["auditor", "admin"] as const) {
      const detail = await f.caller(role).compliance.getEvent(input);
      expect(detail.payload).toMatchObject({ customer: grace, amountMinor: "2500" });
      expect(detail.personalData).toMatchObject({ subjectType: "customer", state: "readable" });
    }
    for (const role of ["founder", "finance_controller"] as const) {
      const detail = await f.caller(role).compliance.getEvent(input);
      expect(detail.payload).toMatchObject({ customer: "[personal data]" });
      expect(detail.personalData?.state).toBe("withheld");
      expect(JSON.stringify(detail)).not.toContain(grace);
    }
  });
});

describe("a DSAR", () => {
  it("finds every record of the person, readable, and nothing of anyone else", async () => {
    const exported = await f.caller("auditor").compliance.exportSubjectData({
      portfolioId: f.portfolioId,
      subject: ` ${ada.email.toUpperCase()} `,
    });
    expect(exported.subjects.map((x) => x.subject.subjectId)).toEqual([ada.id]);
    const [only] = exported.subjects;
    expect(only!.subject).toMatchObject({ subjectType: "person", status: "active" });
    expect(only!.events).toEqual([
      expect.objectContaining({
        type: "identity.user_registered",
        personalData: "readable",
        payload: { userId: ada.id, email: ada.email, name: ada.name },
      }),
    ]);
    const activity = only!.activity.map((a) => `${a.relation} ${a.type}`);
    expect(activity).toEqual(
      expect.arrayContaining([
        "stream identity.user_registered",
        "stream identity.membership_granted",
        "actor control.paused",
        "actor control.resumed",
      ]),
    );
    const records = Object.fromEntries(only!.records.map((r) => [r.store, r.rows]));
    expect(records.users).toEqual([
      expect.objectContaining({ userId: ada.id, email: ada.email, name: ada.name }),
    ]);
    expect(records.memberships).toEqual([
      expect.objectContaining({ portfolioId: f.portfolioId, role: "founder" }),
    ]);
    expect(records.control_state).toEqual([expect.objectContaining({ byId: ada.id, byName: ada.name })]);
    const text = JSON.stringify(exported);
    for (const other of [bob.email, bob.name, carol.email, grace, otherCustomer, f.principals.admin.email]) {
      expect(text).not.toContain(other);
    }
    // The export is itself recorded, with counts only.
    const [recorded] = await s.db.$queryRawUnsafe<Array<{ envelope: string }>>(
      "SELECT envelope FROM event_log WHERE type = 'compliance.subject_data_exported' AND envelope LIKE $1",
      `%${exported.exportId}%`,
    );
    expect(JSON.parse(recorded!.envelope).payload).toMatchObject({
      subjectId: ada.id,
      events: 1,
      records: 3,
    });
    expect(recorded!.envelope).not.toContain(ada.email);
  });

  it("finds a customer by the name the rail gave, with every payment and receipt, and no other customer", async () => {
    const exported = await f.caller("admin").compliance.exportSubjectData({
      portfolioId: f.portfolioId,
      subject: grace,
    });
    expect(exported.subjects).toHaveLength(1);
    const [customer] = exported.subjects;
    expect(customer!.subject).toMatchObject({ subjectType: "customer", status: "active" });
    expect(customer!.events.map((e) => e.payload.customer)).toEqual([grace, ` ${grace.toUpperCase()} `]);
    const receipts = customer!.records.find((r) => r.store === "treasury_receipts")!.rows;
    expect(receipts).toHaveLength(2);
    expect(JSON.stringify(exported)).not.toContain(otherCustomer);
  });

  it("does not find another portfolio's people, refuses bad input naming the field, and writes nothing", async () => {
    const before = await rawEventsContaining("compliance.subject_data_exported");
    await expect(
      f.caller("auditor").compliance.exportSubjectData({ portfolioId: f.portfolioId, subject: carol.email }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      f.caller("auditor").compliance.exportSubjectData({ portfolioId: f.portfolioId, subject: "  " }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("subject") });
    // The other portfolio's admin does not see this portfolio at all.
    await expect(
      f.caller("outsider").compliance.exportSubjectData({ portfolioId: f.portfolioId, subject: ada.email }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    for (const role of ["founder", "finance_controller"] as const) {
      await expect(
        f.caller(role).compliance.exportSubjectData({ portfolioId: f.portfolioId, subject: ada.email }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    expect(await rawEventsContaining("compliance.subject_data_exported")).toBe(before);
  });

  it("answers over HTTP: JSON for an auditor, 403 for a founder, 400 naming the field", async () => {
    const ok = await http("POST", "/compliance/dsar", "auditor", {
      portfolioId: f.portfolioId,
      subject: bob.id,
    });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({
      subjects: [expect.objectContaining({ subject: expect.objectContaining({ subjectId: bob.id }) })],
    });
    expect(JSON.stringify(ok.json)).toContain(bob.email);
    const denied = await http("POST", "/compliance/dsar", "founder", {
      portfolioId: f.portfolioId,
      subject: bob.id,
    });
    expect(denied.status).toBe(403);
    const bad = await http("POST", "/compliance/dsar", "auditor", {
      portfolioId: f.portfolioId,
      subject: 42,
    });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { fields: { subject: expect.any(String) } } });
    const erase = await http("POST", "/compliance/erasures", "auditor", {
      portfolioId: f.portfolioId,
      subject: bob.id,
    });
    expect(erase.status).toBe(403);
  });
});

describe("erasure", () => {
  it("is refused to every role but admin, and to an admin erasing themselves", async () => {
    for (const role of ["founder", "finance_controller", "auditor"] as const) {
      await expect(
        f.caller(role).compliance.eraseSubject({ portfolioId: f.portfolioId, subject: ada.id }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
    }
    await expect(
      f.caller("outsider").compliance.eraseSubject({ portfolioId: f.portfolioId, subject: ada.id }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      f
        .caller("admin")
        .compliance.eraseSubject({ portfolioId: f.portfolioId, subject: f.principals.admin.userId }),
    ).rejects.toMatchObject({ code: "UNPROCESSABLE_CONTENT" });
    const [key] = await s.db.$queryRawUnsafe<Array<{ live: boolean }>>(
      "SELECT wrapped_key IS NOT NULL AS live FROM personal_data_subjects WHERE subject_id = $1",
      ada.id,
    );
    expect(key!.live).toBe(true);
    expect(await rawEventsContaining("compliance.subject_erased")).toBe(0);
  });

  it("destroys the key: the data reads [erased] everywhere, and the chain, checkpoints and a new pack verify", async () => {
    const [erased] = await f
      .caller("admin")
      .compliance.eraseSubject({ portfolioId: f.portfolioId, subject: ada.email });
    expect(erased).toMatchObject({ subjectId: ada.id, erased: true, events: 1 });
    expect(erased!.scrubbed.map((x) => x.store).sort()).toEqual(["control_state", "users"]);

    // Read again through the DSAR (by id: the email no longer leads to her).
    await expect(
      f.caller("auditor").compliance.exportSubjectData({ portfolioId: f.portfolioId, subject: ada.email }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    const after = await f
      .caller("auditor")
      .compliance.exportSubjectData({ portfolioId: f.portfolioId, subject: ada.id });
    const [view] = after.subjects;
    expect(view!.subject.status).toBe("erased");
    expect(view!.events).toEqual([
      expect.objectContaining({
        personalData: "erased",
        payload: { userId: ada.id, email: "[erased]", name: "[erased]" },
      }),
    ]);
    const records = Object.fromEntries(view!.records.map((r) => [r.store, r.rows]));
    expect(records.users).toEqual([
      expect.objectContaining({ email: `[erased]:${ada.id}`, name: "[erased]", canSignIn: false }),
    ]);
    expect(records.control_state).toEqual([expect.objectContaining({ byName: "[erased]" })]);
    expect(JSON.stringify(after)).not.toContain(ada.name);
    expect(await authenticatePassword({ db: s.db, email: ada.email, password: ada.password })).toBeNull();
    // The erasure is an event that carries no personal data.
    await sealAll(s.db);
    const [erasure] = await s.db.$queryRawUnsafe<Array<{ sequence: bigint; envelope: string }>>(
      "SELECT sequence, envelope FROM events WHERE type = 'compliance.subject_erased' AND stream_id = $1",
      ada.id,
    );
    expect(JSON.parse(erasure!.envelope).payload).toMatchObject({
      subjectId: ada.id,
      reason: "request",
      events: 1,
    });
    for (const text of [ada.email, ada.name]) expect(await rawEventsContaining(text)).toBe(0);
    // Nobody else was touched.
    const bobNow = await f
      .caller("auditor")
      .compliance.exportSubjectData({ portfolioId: f.portfolioId, subject: bob.email });
    expect(bobNow.subjects[0]!.events[0]!.payload).toMatchObject({ email: bob.email, name: bob.name });

    // The chain and every checkpoint (signed before and after the erasure) still verify.
    expect(await verifyEventLog(s.db)).toMatchObject({ ok: true });
    await signCheckpoint();
    const trail = await verifyAuditTrail({ db: s.db, copies, keyringKeys: keyring.publicKeys() });
    expect(trail).toMatchObject({ ok: true });
    expect(trail.checkedCheckpoints).toBeGreaterThanOrEqual(2);

    // An evidence pack built after the erasure verifies offline and lists her key as erased.
    const pack = await requestEvidencePack({
      db: s.db,
      ...ctx("cor_pack"),
      portfolioId: f.portfolioId,
      from: new Date(Date.now() - 86_400_000),
      to: new Date(Date.now() + 86_400_000),
    });
    let built = await buildNextEvidencePack({ db: s.db, keyring, copies, packDir: path.join(dir, "packs") });
    while (built && built.id !== pack.id) {
      built = await buildNextEvidencePack({ db: s.db, keyring, copies, packDir: path.join(dir, "packs") });
    }
    expect(built).toMatchObject({ status: "ready" });
    const packPath = path.join(dir, "packs", built!.fileName!);
    const report = await verifyEvidencePack(packPath);
    expect(report.failure).toBeNull();
    expect(report.ok).toBe(true);
    expect(report.checks.join("\n")).toMatch(/personal-data\.jsonl: \d+ data-subject keys, 1 erased/);
    const lines = (await packFile(packPath, packFiles.personalData))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as PersonalDataLine);
    expect(lines.find((l) => l.subjectId === ada.id)).toMatchObject({
      state: "erased",
      events: 1,
      erasureSequence: Number(erasure!.sequence),
    });
    expect(lines.find((l) => l.subjectId === bob.id)).toMatchObject({
      state: "active",
      erasureSequence: null,
    });
    // The pack holds ciphertext only, erased or not.
    const events = await packFile(packPath, packFiles.events);
    for (const text of [ada.email, bob.email, grace]) expect(events).not.toContain(text);
  });

  it("is idempotent: erasing again changes nothing and records nothing", async () => {
    const count = await rawEventsContaining('"type":"compliance.subject_erased"');
    const [again] = await f
      .caller("admin")
      .compliance.eraseSubject({ portfolioId: f.portfolioId, subject: ada.id });
    expect(again).toMatchObject({ subjectId: ada.id, erased: false, scrubbed: [] });
    const viaHttp = await http("POST", "/compliance/erasures", "admin", {
      portfolioId: f.portfolioId,
      subject: ada.id,
    });
    expect(viaHttp.status).toBe(200);
    expect(viaHttp.json).toEqual([expect.objectContaining({ erased: false })]);
    expect(await rawEventsContaining('"type":"compliance.subject_erased"')).toBe(count);
    expect(await verifyEventLog(s.db)).toMatchObject({ ok: true });
  });

  it("makes a customer's payments read [erased] in the event detail and the receipts", async () => {
    const [erased] = await f
      .caller("admin")
      .compliance.eraseSubject({ portfolioId: f.portfolioId, subject: grace });
    expect(erased).toMatchObject({ subjectType: "customer", erased: true, events: 2 });
    expect(erased!.scrubbed).toEqual([{ store: "treasury_receipts", rows: 2 }]);
    const [event] = await s.db.$queryRawUnsafe<Array<{ sequence: bigint }>>(
      `SELECT sequence FROM events WHERE type = 'treasury.revenue_received' AND portfolio_id = $1
        ORDER BY sequence LIMIT 1`,
      f.portfolioId,
    );
    const detail = await f.caller("auditor").compliance.getEvent({
      portfolioId: f.portfolioId,
      sequence: Number(event!.sequence),
    });
    expect(detail.payload).toMatchObject({ customer: "[erased]" });
    expect(detail.personalData?.state).toBe("erased");
    const receipts = await s.db.$queryRawUnsafe<Array<{ customer: string | null }>>(
      "SELECT customer FROM treasury_receipts WHERE venture_id = $1 ORDER BY rail_reference",
      ventureId,
    );
    expect(receipts.map((r) => r.customer)).toEqual(["[erased]", "[erased]", otherCustomer, null]);
    // A new payment from the same customer is new data under a new key: readable, the old stays erased.
    await payment(grace, "pay-5");
    const exported = await f
      .caller("auditor")
      .compliance.exportSubjectData({ portfolioId: f.portfolioId, subject: grace });
    expect(exported.subjects[0]!.events.map((e) => e.personalData)).toEqual(["erased", "erased", "readable"]);
    expect(await verifyEventLog(s.db)).toMatchObject({ ok: true });
  });
});

describe("retention", () => {
  it("erases customers once their last activity is older than the rule, on schedule, and only them", async () => {
    const longAgo = fixedClock(new Date(Date.now() - 400 * 86_400_000));
    const lapsed = `Lapsed Customer ${tag}`;
    const recent = `Recent Customer ${tag}`;
    await payment(lapsed, "old-1", longAgo);
    await payment(recent, "new-1");
    // Nothing is due under a longer rule.
    expect(await applyRetention({ db: s.db, rules: { customer: 500 } })).toEqual([]);
    // The compliance job applies the rule on its own.
    const worker = await startComplianceWorker(
      { db: s.db, nc: s.nc, namespace: s.namespace, log: s.log },
      {
        keyDir: path.join(dir, "keys"),
        checkpointDir: path.join(dir, "checkpoints"),
        packDir: path.join(dir, "packs"),
        checkpointEveryEvents: 1_000,
        checkpointEverySeconds: 3_600,
        verifyEverySeconds: 3_600,
        keyRotationDays: 90,
        checkpointStreamDays: 1,
        retention: { customer: 365 },
        retentionEverySeconds: 1,
        findingsEverySeconds: 3_600,
      },
    );
    try {
      const deadline = Date.now() + 15_000;
      while (worker.stats.subjectsErasedByRetention === 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await worker.stop();
    }
    expect(worker.stats.subjectsErasedByRetention).toBe(1);
    const receipts = await s.db.$queryRawUnsafe<Array<{ rail_reference: string; customer: string }>>(
      "SELECT rail_reference, customer FROM treasury_receipts WHERE rail_reference IN ($1, $2) ORDER BY rail_reference",
      `new-1-${tag}`,
      `old-1-${tag}`,
    );
    expect(receipts.map((r) => r.customer)).toEqual([recent, "[erased]"]);
    const erasures = await s.db.$queryRawUnsafe<Array<{ envelope: string }>>(
      "SELECT envelope FROM event_log WHERE type = 'compliance.subject_erased' AND strpos(envelope, $1) > 0",
      '"reason":"retention"',
    );
    expect(erasures).toHaveLength(1);
    expect(JSON.parse(erasures[0]!.envelope)).toMatchObject({
      actor: { type: "worker", id: "compliance" },
      payload: { subjectType: "customer", events: 1 },
    });
    const recentNow = await f.caller("auditor").compliance.exportSubjectData({
      portfolioId: f.portfolioId,
      subject: recent,
    });
    expect(recentNow.subjects[0]!.events[0]!.payload).toMatchObject({ customer: recent });
    // People have no rule here, and a second round finds nothing more.
    expect(await applyRetention({ db: s.db, rules: { customer: 365 } })).toEqual([]);
    expect(await verifyEventLog(s.db)).toMatchObject({ ok: true });
  });
});

/** One file of a pack, as text. */
async function packFile(packPath: string, name: string): Promise<string> {
  const extract = tar.extract();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    extract.on("entry", (header, stream, next) => {
      stream.on("data", (chunk: unknown) => {
        if (header.name === name) chunks.push(chunk as Buffer);
      });
      stream.on("end", next);
      stream.resume();
    });
    extract.on("finish", resolve);
    extract.on("error", reject);
  });
  extract.end(gunzipSync(fs.readFileSync(packPath)));
  await done;
  return Buffer.concat(chunks).toString("utf8");
}

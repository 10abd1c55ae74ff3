// The notification centre against the real PostgreSQL and JetStream: real use-cases append events,
// the relay publishes them, the notifier's consumers turn them into notifications for the people
// whose role they concern; each person reads, marks read and is pushed only their own.
import { jetstream } from "@nats-io/jetstream";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { raiseFinding } from "@/server/contexts/compliance/findings";
import { pause, resume } from "@/server/contexts/control/api";
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import { eventually } from "@/server/contexts/orchestration/testing/fixtures";
import {
  allowCounterparty,
  createIntent,
  freezeTreasury,
  unfreezeTreasury,
} from "@/server/contexts/treasury/intents/api";
import { fundVenture } from "@/server/contexts/treasury/intents/testing";
import { withTransaction } from "@/server/shared/db";
import type { NotificationKind } from "@/server/shared/events/catalog/notifications";
import { type RoleFixture, roleFixture } from "@/server/trpc/fixtures";
import { createCaller } from "@/server/trpc/root";
import { orchestrationMatrixFixture } from "@/server/trpc/routers/orchestration/matrix-fixture";
import { openTestServices, type TestServices } from "@/test/services";
import type { Stoppable } from "@/workers/_runtime/worker";
import { type Notifier, startNotifier } from "@/workers/notifier/notifier";
import { startOutboxRelay } from "@/workers/outbox-relay/relay";
import { liveNotifications } from "./live-notifications";

let s: TestServices;
let f: RoleFixture;
let relay: Stoppable;
let notifier: Notifier;
let ventureId: string;
const system = { type: "system" as const, id: "test" };

beforeAll(async () => {
  s = await openTestServices();
  f = await roleFixture(s.db);
  relay = await startOutboxRelay(s, { pollMs: 50 });
  notifier = await startNotifier(s, { appUrl: "http://venture.test" });
  ventureId = (
    await createVenture({
      db: s.db,
      actor: system,
      correlationId: "cor_notify",
      portfolioId: f.portfolioId,
      name: "Notified venture",
      goal: null,
    })
  ).id;
  await fundVenture(s.db, f.portfolioId, ventureId, 10_000_000n);
  await allowCounterparty({ db: s.db, ventureId, counterpartyId: "acme" });
}, 60_000);

afterAll(async () => {
  await notifier?.stop();
  await relay?.stop();
  await s?.close();
});

type Who = keyof RoleFixture["principals"];

async function kindsOf(who: Who, portfolioId = f.portfolioId): Promise<NotificationKind[]> {
  const list = await f.caller(who).notifications.list({ portfolioId, limit: 200 });
  return [...new Set(list.items.map((item) => item.kind))].sort();
}

async function rows(): Promise<number> {
  const [row] = await s.db.$queryRawUnsafe<Array<{ n: number }>>(
    "SELECT count(*)::int AS n FROM notifications",
  );
  return row!.n;
}

/** A money intent the policy sends to the approval inbox (above the automatic limit). */
async function pendingIntent(key: string) {
  const intent = await createIntent({
    db: s.db,
    actor: { type: "user", id: f.principals.founder.userId },
    correlationId: "cor_notify",
    requester: {
      kind: "user",
      userId: f.principals.founder.userId,
      portfolioId: f.portfolioId,
      portfolioRole: "founder",
    },
    input: {
      portfolioId: f.portfolioId,
      ventureId,
      amountMinor: "60000",
      currency: "USD",
      counterparty: "acme",
      category: "model_inference",
      purpose: "Ad campaign",
      idempotencyKey: key,
    },
  });
  expect(intent.status).toBe("pending_approval");
  return intent;
}

describe("who is told what (CTRL-006)", () => {
  it("tells each role what concerns it, and everyone about pause and resume", async () => {
    // An escalated task and a tool call waiting for approval (founder, admin).
    await orchestrationMatrixFixture(s.db, f.portfolioId, ventureId);
    // A money intent waiting for approval (finance controller, admin).
    const intent = await pendingIntent("notify-approval");
    // A freeze and an unfreeze (everyone in the portfolio).
    const freezeVenture = await createVenture({
      db: s.db,
      actor: system,
      correlationId: "cor_notify",
      portfolioId: f.portfolioId,
      name: "Frozen venture",
      goal: null,
    });
    const freeze = {
      db: s.db,
      actor: { type: "user" as const, id: f.principals.finance_controller.userId },
      correlationId: "cor_notify",
      role: "finance_controller" as const,
      portfolioId: f.portfolioId,
      ventureId: freezeVenture.id,
      reason: "velocity spike",
    };
    await freezeTreasury(freeze);
    await unfreezeTreasury({ ...freeze, reason: "explained" });
    // A finding (auditors, admins).
    await withTransaction(s.db, (tx) =>
      raiseFinding(
        tx,
        { actor: system, correlationId: "cor_notify" },
        {
          severity: "high",
          kind: "unapproved_spend",
          title: "Spend without approval",
          detail: "An entry has no approved intent",
          portfolioId: f.portfolioId,
          dedupeKey: "notify:unapproved_spend",
        },
      ),
    );
    // Pause and resume (everyone, every portfolio).
    const control = {
      db: s.db,
      actor: { type: "user" as const, id: f.principals.admin.userId },
      actorName: "Admin",
      correlationId: "cor_notify",
      reason: "checking notifications",
      fanout: null,
    };
    await pause(control);
    await resume({ ...control, reason: "all clear" });

    const everyone: NotificationKind[] = [
      "control.paused",
      "control.resumed",
      "treasury.frozen",
      "treasury.unfrozen",
    ];
    const sorted = (...kinds: NotificationKind[]) => kinds.sort();
    const expected: Record<Who, NotificationKind[]> = {
      founder: sorted(...everyone, "task.escalated", "tool.approval_requested"),
      finance_controller: sorted(...everyone, "intent.approval_requested"),
      auditor: sorted(...everyone, "finding.raised"),
      admin: sorted(
        ...everyone,
        "task.escalated",
        "tool.approval_requested",
        "intent.approval_requested",
        "finding.raised",
      ),
      // An admin of another portfolio hears about the global switch only, in their own portfolio.
      outsider: sorted("control.paused", "control.resumed"),
    };
    await eventually(
      async () => {
        for (const who of Object.keys(expected) as Who[]) {
          const portfolioId = who === "outsider" ? f.otherPortfolioId : f.portfolioId;
          if (JSON.stringify(await kindsOf(who, portfolioId)) !== JSON.stringify(expected[who])) return false;
        }
        return true;
      },
      20_000,
      "every role's notifications",
    );
    for (const who of Object.keys(expected) as Who[]) {
      const portfolioId = who === "outsider" ? f.otherPortfolioId : f.portfolioId;
      expect(`${who}: ${await kindsOf(who, portfolioId)}`).toBe(`${who}: ${expected[who]}`);
    }

    // What the approval says: amount, counterparty, purpose, and where to act.
    const list = await f.caller("finance_controller").notifications.list({ portfolioId: f.portfolioId });
    const approval = list.items.find((item) => item.kind === "intent.approval_requested")!;
    expect(approval).toMatchObject({
      title: "Approval waiting: 600.00 USD to acme",
      link: "/inbox",
      readAt: null,
    });
    expect(approval.body).toContain("Ad campaign");
    expect(list.unreadCount).toBe(list.items.length);
    const events = await s.db.$queryRawUnsafe<Array<{ id: string }>>(
      "SELECT id FROM event_log WHERE type = 'treasury.intent_decided' AND stream_id = $1",
      intent.id,
    );
    expect(approval.eventId).toBe(events[0]!.id);

    // The outsider cannot read this portfolio's notifications at all.
    await expect(
      f.caller("outsider").notifications.list({ portfolioId: f.portfolioId }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  }, 60_000);

  it("notifies once when an event is delivered twice", async () => {
    await pendingIntent("notify-twice");
    const before = await eventually(async () => {
      const [row] = await s.db.$queryRawUnsafe<Array<{ n: number; event_id: string }>>(
        `SELECT count(*)::int AS n, min(event_id) AS event_id FROM notifications n
          WHERE n.kind = 'intent.approval_requested'
            AND n.event_id IN (SELECT id FROM event_log WHERE type = 'treasury.intent_decided'
                                AND stream_id IN (SELECT id FROM money_intents WHERE idempotency_key = 'notify-twice'))`,
      );
      return row && row.n === 2 ? row : null;
    });
    const [sealed] = await s.db.$queryRawUnsafe<
      Array<{ envelope: string; sequence: bigint; prev_hash: string; hash: string }>
    >("SELECT envelope, sequence, prev_hash, hash FROM events WHERE id = $1", before.event_id);
    const envelope = {
      ...(JSON.parse(sealed!.envelope) as object),
      sequence: Number(sealed!.sequence),
      prevHash: sealed!.prev_hash,
      hash: sealed!.hash,
    };
    // A second copy under another message id: JetStream's duplicate window does not catch it, the
    // consumer's inbox must.
    await jetstream(s.nc).publish(s.names.eventSubject("treasury.intent_decided"), JSON.stringify(envelope), {
      msgID: `${before.event_id}-again`,
    });
    const count = await rows();
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await rows()).toBe(count);
    const [after] = await s.db.$queryRawUnsafe<Array<{ n: number }>>(
      "SELECT count(*)::int AS n FROM notifications WHERE event_id = $1",
      before.event_id,
    );
    expect(after!.n).toBe(2);
  }, 30_000);
});

describe("read state", () => {
  it("marks one read, refuses someone else's, and marks all read", async () => {
    const fc = f.caller("finance_controller");
    const intent = await pendingIntent("notify-read");
    const [decided] = await s.db.$queryRawUnsafe<Array<{ id: string }>>(
      "SELECT id FROM event_log WHERE type = 'treasury.intent_decided' AND stream_id = $1",
      intent.id,
    );
    // Wait for this intent's own notification: earlier tests may have left others unread, and
    // marking all read before it lands would leave it unread afterwards.
    const start = await eventually(async () => {
      const list = await fc.notifications.list({ portfolioId: f.portfolioId, unreadOnly: true });
      const arrived = list.items.some((item) => item.eventId === decided!.id);
      return arrived && list.unreadCount >= 2 ? list : null;
    });
    const [first] = start.items;
    const marked = await fc.notifications.markRead({ portfolioId: f.portfolioId, ids: [first!.id] });
    expect(marked.marked).toBe(1);
    // Twice is harmless.
    expect((await fc.notifications.markRead({ portfolioId: f.portfolioId, ids: [first!.id] })).marked).toBe(
      0,
    );
    const unread = await fc.notifications.list({ portfolioId: f.portfolioId, unreadOnly: true });
    expect(unread.items.map((item) => item.id)).not.toContain(first!.id);
    expect(unread.items.every((item) => item.readAt === null)).toBe(true);

    // The auditor may not mark the finance controller's notification: not found, nothing changes.
    const other = unread.items[0]!;
    const refused = await f
      .caller("auditor")
      .notifications.markRead({ portfolioId: f.portfolioId, ids: [other.id] })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TRPCError);
    expect(refused).toMatchObject({ code: "NOT_FOUND", message: expect.stringContaining(other.id) });
    // A list with one unknown id marks none of them.
    const mixed = await fc.notifications
      .markRead({ portfolioId: f.portfolioId, ids: [other.id, "ntf_00000000000000000000000000"] })
      .catch((error: unknown) => error);
    expect(mixed).toMatchObject({ code: "NOT_FOUND" });
    const stillUnread = async () =>
      (await fc.notifications.list({ portfolioId: f.portfolioId, unreadOnly: true })).items.some(
        (item) => item.id === other.id,
      );
    expect(await stillUnread()).toBe(true);

    // Bad input names the field and writes nothing.
    for (const input of [
      { portfolioId: f.portfolioId },
      { portfolioId: f.portfolioId, ids: [] },
      { portfolioId: f.portfolioId, ids: ["not-an-id"] },
      { portfolioId: f.portfolioId, ids: [other.id], all: true },
    ]) {
      const error = await fc.notifications.markRead(input as never).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: "BAD_REQUEST" });
      expect(String((error as Error).message)).toMatch(/ids/);
    }
    expect(await stillUnread()).toBe(true);

    expect(await fc.notifications.markRead({ portfolioId: f.portfolioId, all: true })).toMatchObject({
      unreadCount: 0,
    });
    // Other people's unread notifications are untouched.
    expect(
      (await f.caller("admin").notifications.list({ portfolioId: f.portfolioId })).unreadCount,
    ).toBeGreaterThan(0);
  }, 30_000);
});

describe("live", () => {
  it("pushes a person's new notifications without polling, and resumes from the last one seen", async () => {
    // One the finance controller already has, to resume after later.
    await pendingIntent("notify-live-older");
    const older = await eventually(async () => {
      const list = await f.caller("finance_controller").notifications.list({ portfolioId: f.portfolioId });
      return list.items.find(
        (item) => item.body.startsWith("Ad campaign") && item.kind === "intent.approval_requested",
      );
    });
    const controller = new AbortController();
    const fc = createCaller(f.ctx("finance_controller"), { signal: controller.signal });
    const stream = await fc.notifications.feed({ portfolioId: f.portfolioId });
    const iterator = stream[Symbol.asyncIterator]();
    // The auditor's feed must not see the approval.
    const auditorAbort = new AbortController();
    const auditorSeen: string[] = [];
    const auditorFeed = (async () => {
      for await (const item of liveNotifications(s.db).subscribe({
        userId: f.principals.auditor.userId,
        portfolioId: f.portfolioId,
        afterSeq: null,
        signal: auditorAbort.signal,
      })) {
        auditorSeen.push(item.kind);
      }
    })();
    await new Promise((r) => setTimeout(r, 700));
    const intent = await pendingIntent("notify-live");
    const next = await Promise.race([
      iterator.next(),
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error("nothing pushed in 10 s")), 10_000),
      ),
    ]);
    expect(next.done).toBe(false);
    // A tracked event arrives as [id, data, marker] through a server-side caller.
    const [trackedId, pushed] = next.value as unknown as [
      string,
      { kind: string; title: string; seq: number },
    ];
    expect(trackedId).toBe(String(pushed.seq));
    expect(pushed.kind).toBe("intent.approval_requested");
    expect(pushed.title).toContain("600.00 USD");
    controller.abort();
    auditorAbort.abort();
    await auditorFeed;
    expect(auditorSeen).not.toContain("intent.approval_requested");

    // Reconnecting after seq N first delivers what came after N.
    const resumed = new AbortController();
    const missed: number[] = [];
    for await (const item of liveNotifications(s.db).subscribe({
      userId: f.principals.finance_controller.userId,
      portfolioId: f.portfolioId,
      afterSeq: older.seq,
      signal: resumed.signal,
    })) {
      missed.push(item.seq);
      if (item.seq === pushed.seq) resumed.abort();
    }
    expect(missed[0]).toBeGreaterThan(older.seq);
    expect(missed).toContain(pushed.seq);
    expect(intent.id).toMatch(/^mi_/);
  }, 30_000);
});

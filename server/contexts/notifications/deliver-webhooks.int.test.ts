// The delivery machinery against the real PostgreSQL, without a sender loop running: claims and
// their leases, what happens when a sender dies mid-attempt, one delivery per endpoint at a time,
// and two senders never sending the same delivery at once; an endpoint disabled during an attempt;
// URLs and secrets sealed at rest.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTransaction } from "@/server/shared/db";
import type { AnyEnvelope } from "@/server/shared/events/envelope";
import { newId } from "@/server/shared/ids";
import { type RoleFixture, roleFixture } from "@/server/trpc/fixtures";
import { startWebhookReceiver, type WebhookReceiver } from "@/test/fakes/webhook-receiver";
import { openTestServices, type TestServices } from "@/test/services";
import { backoffMs, claimDueDeliveries, recordAttempt, sendDelivery } from "./deliver-webhooks";
import { disableWebhook } from "./disable-webhook";
import { recordNotifications } from "./record-notifications";
import { registerWebhook } from "./register-webhook";
import { sealLegacyWebhookEndpoints } from "./webhook-endpoint-seal";
import { listWebhooks } from "./webhook-views";

let s: TestServices;
let f: RoleFixture;
let receiver: WebhookReceiver;
const policy = { timeoutMs: 1_000, backoffBaseMs: 100, backoffMaxMs: 1_000 };

beforeAll(async () => {
  s = await openTestServices();
  f = await roleFixture(s.db);
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await s?.close();
});

/** A committed kill-switch event's notifications and deliveries, as the notifier's consumer records them. */
async function paused(maxAttempts = 3, occurredAt = new Date()): Promise<string> {
  const id = newId("event");
  const envelope = {
    id,
    type: "control.paused",
    schemaVersion: 1,
    stream: { type: "control", id: "global", version: 1 },
    portfolioId: null,
    occurredAt: occurredAt.toISOString(),
    actor: { type: "system", id: "test" },
    correlationId: "cor_deliver",
    causationId: null,
    payload: { scope: "global", epoch: 1, reason: "test" },
    sequence: 1,
    prevHash: "0".repeat(64),
    hash: "1".repeat(64),
  } as AnyEnvelope;
  await withTransaction(s.db, (tx) =>
    recordNotifications(tx, envelope, { appUrl: "http://venture.test", maxAttempts }),
  );
  return id;
}

async function endpoint(path: string): Promise<string> {
  return (await registered(path)).endpointId;
}

/** An endpoint at `path` (plus a query string, which the receiver ignores) and its secret. */
async function registered(path: string, query = "") {
  const { endpoint, secret } = await registerWebhook({
    db: s.db,
    actor: { type: "user", id: f.principals.admin.userId },
    correlationId: "cor_deliver",
    portfolioId: f.portfolioId,
    url: receiver.url(path) + query,
    eventTypes: ["control.paused"],
  });
  receiver.secret(path, secret);
  return { endpointId: endpoint.id, url: receiver.url(path) + query, secret };
}

async function deliveryRow(id: string) {
  const [row] = await s.db.$queryRawUnsafe<
    Array<{ status: string; attempts: number; last_error: string | null }>
  >("SELECT status, attempts, last_error FROM webhook_deliveries WHERE id = $1", id);
  return row!;
}

async function disableAll() {
  await s.db.$executeRawUnsafe("UPDATE webhook_endpoints SET status = 'disabled'");
}

describe("claims", () => {
  it("takes over a delivery whose sender died once its lease ends; the dead sender's late result changes nothing", async () => {
    await disableAll();
    const endpointId = await endpoint("/takeover");
    await paused();
    const [first] = await claimDueDeliveries(s.db, { limit: 5, busyEndpointIds: [], leaseMs: 300 });
    expect(first).toMatchObject({ endpointId, attempt: 1 });
    // Leased: nobody else may take it.
    expect(await claimDueDeliveries(s.db, { limit: 5, busyEndpointIds: [], leaseMs: 300 })).toEqual([]);
    await new Promise((r) => setTimeout(r, 400));
    const [again] = await claimDueDeliveries(s.db, { limit: 5, busyEndpointIds: [], leaseMs: 5_000 });
    expect(again).toMatchObject({ id: first!.id, attempt: 2 });
    const result = await sendDelivery(again!, policy);
    expect(await recordAttempt(s.db, again!, result, policy)).toBe("succeeded");
    // The first sender wakes up and reports: its lease is gone, the outcome stands.
    expect(
      await recordAttempt(s.db, first!, { ...result, ok: false, statusCode: 500, error: "HTTP 500" }, policy),
    ).toBe("lease_lost");
    expect(await deliveryRow(first!.id)).toMatchObject({ status: "succeeded", attempts: 2 });
    expect(receiver.on("/takeover")).toHaveLength(1);
    expect(receiver.on("/takeover")[0]!.headers["venture-delivery-attempt"]).toBe("2");
    expect(receiver.on("/takeover")[0]!.signature).toBe("ok");
  });

  it("closes, rather than retries, a delivery whose endpoint was disabled while its attempt was in flight", async () => {
    await disableAll();
    const endpointId = await endpoint("/retired-mid-attempt");
    await paused();
    const [claimed] = await claimDueDeliveries(s.db, { limit: 5, busyEndpointIds: [], leaseMs: 5_000 });
    expect(claimed).toMatchObject({ endpointId, attempt: 1, maxAttempts: 3 });
    // Disabling closes what is pending; this one is being sent.
    await disableWebhook({
      db: s.db,
      actor: { type: "user", id: f.principals.admin.userId },
      correlationId: "cor_deliver",
      portfolioId: f.portfolioId,
      endpointId,
      reason: "retired",
    });
    expect(await deliveryRow(claimed!.id)).toMatchObject({ status: "delivering" });
    const failedAttempt = {
      ok: false,
      statusCode: 500,
      error: "HTTP 500",
      durationMs: 3,
      responseSnippet: null,
      startedAt: new Date(),
    };
    expect(await recordAttempt(s.db, claimed!, failedAttempt, policy)).toBe("failed");
    expect(await deliveryRow(claimed!.id)).toMatchObject({
      status: "failed",
      attempts: 1,
      last_error: "endpoint disabled",
    });
  });

  it("closes a delivery whose sender died during its last attempt", async () => {
    await disableAll();
    await endpoint("/last");
    await paused(1);
    const [claimed] = await claimDueDeliveries(s.db, { limit: 5, busyEndpointIds: [], leaseMs: 100 });
    expect(claimed).toMatchObject({ attempt: 1, maxAttempts: 1 });
    await new Promise((r) => setTimeout(r, 200));
    expect(await claimDueDeliveries(s.db, { limit: 5, busyEndpointIds: [], leaseMs: 100 })).toEqual([]);
    expect(await deliveryRow(claimed!.id)).toMatchObject({
      status: "failed",
      last_error: "the sender stopped during the last attempt",
    });
  });

  it("claims one delivery per endpoint, skips busy endpoints, and never hands one delivery to two senders", async () => {
    await disableAll();
    const a = await endpoint("/a");
    const b = await endpoint("/b");
    for (let i = 0; i < 3; i++) await paused();
    const firstRound = await claimDueDeliveries(s.db, { limit: 10, busyEndpointIds: [], leaseMs: 5_000 });
    expect(firstRound.map((d) => d.endpointId).sort()).toEqual([a, b].sort());
    expect(await claimDueDeliveries(s.db, { limit: 10, busyEndpointIds: [a, b], leaseMs: 5_000 })).toEqual(
      [],
    );
    // Two senders at once: each delivery goes to one of them.
    const [x, y] = await Promise.all([
      claimDueDeliveries(s.db, { limit: 10, busyEndpointIds: [], leaseMs: 5_000 }),
      claimDueDeliveries(s.db, { limit: 10, busyEndpointIds: [], leaseMs: 5_000 }),
    ]);
    const ids = [...x!, ...y!].map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => firstRound.some((d) => d.id === id))).toEqual([]);
  });
});

describe("old events", () => {
  it("tells nobody about an event older than a day (a first start on a week of stream, a long outage)", async () => {
    await disableAll();
    await endpoint("/old");
    const before = await s.db.$queryRawUnsafe<Array<{ n: number; d: number }>>(
      "SELECT (SELECT count(*)::int FROM notifications) AS n, (SELECT count(*)::int FROM webhook_deliveries) AS d",
    );
    await paused(3, new Date(Date.now() - 25 * 3_600_000));
    const after = await s.db.$queryRawUnsafe<Array<{ n: number; d: number }>>(
      "SELECT (SELECT count(*)::int FROM notifications) AS n, (SELECT count(*)::int FROM webhook_deliveries) AS d",
    );
    expect(after).toEqual(before);
    // A recent one is told.
    await paused(3, new Date(Date.now() - 23 * 3_600_000));
    const recent = await s.db.$queryRawUnsafe<Array<{ n: number; d: number }>>(
      "SELECT (SELECT count(*)::int FROM notifications) AS n, (SELECT count(*)::int FROM webhook_deliveries) AS d",
    );
    expect(recent[0]!.d).toBe(before[0]!.d + 1);
    expect(recent[0]!.n).toBeGreaterThan(before[0]!.n);
  });
});

describe("backoff", () => {
  it("doubles from the base and stops at the maximum", () => {
    const p = { backoffBaseMs: 30_000, backoffMaxMs: 3_600_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) => backoffMs(n, p))).toEqual([
      30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000,
    ]);
  });

  it("schedules the next attempt after a failure, and fails for good after the last", async () => {
    await disableAll();
    await endpoint("/fails");
    receiver.always("/fails", { status: 500 });
    await paused(2);
    const [one] = await claimDueDeliveries(s.db, { limit: 1, busyEndpointIds: [], leaseMs: 5_000 });
    const before = Date.now();
    expect(await recordAttempt(s.db, one!, await sendDelivery(one!, policy), policy)).toBe("retrying");
    const [row] = await s.db.$queryRawUnsafe<Array<{ status: string; next_attempt_at: Date }>>(
      "SELECT status, next_attempt_at FROM webhook_deliveries WHERE id = $1",
      one!.id,
    );
    expect(row!.status).toBe("pending");
    expect(row!.next_attempt_at.getTime()).toBeGreaterThanOrEqual(before + policy.backoffBaseMs - 20);
    // Not due yet.
    expect(await claimDueDeliveries(s.db, { limit: 1, busyEndpointIds: [], leaseMs: 5_000 })).toEqual([]);
    await new Promise((r) => setTimeout(r, policy.backoffBaseMs + 50));
    const [two] = await claimDueDeliveries(s.db, { limit: 1, busyEndpointIds: [], leaseMs: 5_000 });
    expect(two).toMatchObject({ id: one!.id, attempt: 2 });
    expect(await recordAttempt(s.db, two!, await sendDelivery(two!, policy), policy)).toBe("failed");
    expect(await deliveryRow(one!.id)).toMatchObject({
      status: "failed",
      attempts: 2,
      last_error: "HTTP 500",
    });
    // A finished delivery is final: the database refuses to reopen it.
    await expect(
      s.db.$executeRawUnsafe("UPDATE webhook_deliveries SET status = 'pending' WHERE id = $1", one!.id),
    ).rejects.toThrow(/already failed/);
  });
});

describe("at rest", () => {
  async function stored(endpointId: string) {
    const [row] = await s.db.$queryRawUnsafe<Array<{ url: string; secret: string }>>(
      "SELECT url, secret FROM webhook_endpoints WHERE id = $1",
      endpointId,
    );
    return row!;
  }

  it("stores the URL and the secret sealed, shows the URL to admins, and signs with the secret", async () => {
    await disableAll();
    const { endpointId, url } = await registered("/sealed", "?token=chat-credential");
    const row = await stored(endpointId);
    for (const value of [row.url, row.secret]) expect(value).toMatch(/^wh1:[A-Za-z0-9_-]+$/);
    expect(JSON.stringify(row)).not.toContain("chat-credential");
    expect(JSON.stringify(row)).not.toContain("whsec_");
    const views = await listWebhooks({ db: s.db, portfolioId: f.portfolioId });
    expect(views.find((view) => view.id === endpointId)!.url).toBe(url);
    await paused();
    const [claimed] = await claimDueDeliveries(s.db, { limit: 5, busyEndpointIds: [], leaseMs: 5_000 });
    expect(await recordAttempt(s.db, claimed!, await sendDelivery(claimed!, policy), policy)).toBe(
      "succeeded",
    );
    expect(receiver.on("/sealed")[0]!.signature).toBe("ok");
  });

  it("refuses to send when a sealed value was moved onto another endpoint, naming why; nothing is sent", async () => {
    await disableAll();
    const donor = await endpoint("/donor");
    const endpointId = await endpoint("/moved");
    await s.db.$executeRawUnsafe(
      "UPDATE webhook_endpoints SET secret = (SELECT secret FROM webhook_endpoints WHERE id = $1) WHERE id = $2",
      donor,
      endpointId,
    );
    await s.db.$executeRawUnsafe("UPDATE webhook_endpoints SET status = 'disabled' WHERE id = $1", donor);
    await paused(1);
    const [claimed] = await claimDueDeliveries(s.db, { limit: 5, busyEndpointIds: [], leaseMs: 5_000 });
    expect(claimed).toMatchObject({ endpointId });
    expect(await recordAttempt(s.db, claimed!, await sendDelivery(claimed!, policy), policy)).toBe("failed");
    expect((await deliveryRow(claimed!.id)).last_error).toMatch(
      new RegExp(`webhook endpoint ${endpointId}: its secret does not open under master key mk_`),
    );
    expect(receiver.on("/moved")).toHaveLength(0);
  });

  it("seals endpoints stored in clear before sealing existed, and delivers for them meanwhile", async () => {
    await disableAll();
    const { endpointId, secret } = await registered("/legacy");
    // As rows were written before sealing: in clear.
    await s.db.$executeRawUnsafe(
      "UPDATE webhook_endpoints SET url = $2, secret = $3 WHERE id = $1",
      endpointId,
      receiver.url("/legacy"),
      secret,
    );
    await paused();
    const [claimed] = await claimDueDeliveries(s.db, { limit: 5, busyEndpointIds: [], leaseMs: 5_000 });
    expect(await recordAttempt(s.db, claimed!, await sendDelivery(claimed!, policy), policy)).toBe(
      "succeeded",
    );
    expect(receiver.on("/legacy")[0]!.signature).toBe("ok");
    expect(await sealLegacyWebhookEndpoints(s.db)).toBeGreaterThanOrEqual(1);
    const row = await stored(endpointId);
    expect(row.url).toMatch(/^wh1:/);
    expect(row.secret).toMatch(/^wh1:/);
    expect(await sealLegacyWebhookEndpoints(s.db)).toBe(0);
    await paused();
    const [again] = await claimDueDeliveries(s.db, { limit: 5, busyEndpointIds: [], leaseMs: 5_000 });
    expect(await recordAttempt(s.db, again!, await sendDelivery(again!, policy), policy)).toBe("succeeded");
    expect(receiver.on("/legacy")).toHaveLength(2);
  });
});

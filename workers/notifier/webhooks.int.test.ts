// Outgoing webhooks end to end against the real PostgreSQL and JetStream and a real local receiver
// (test/fakes/webhook-receiver.ts): real use-cases append events, the relay publishes them, the
// notifier enqueues and sends signed deliveries, retries with backoff, gives up after the last
// attempt, and never lets one endpoint hold up another.
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pause, resume } from "@/server/contexts/control/api";
import { verifyWebhookSignature } from "@/server/contexts/notifications/api";
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import { eventually } from "@/server/contexts/orchestration/testing/fixtures";
import { allowCounterparty, createIntent } from "@/server/contexts/treasury/intents/api";
import { fundVenture } from "@/server/contexts/treasury/intents/testing";
import type { NotificationKind } from "@/server/shared/events/catalog/notifications";
import { type RoleFixture, roleFixture } from "@/server/trpc/fixtures";
import { startWebhookReceiver, type WebhookReceiver } from "@/test/fakes/webhook-receiver";
import { openTestServices, type TestServices } from "@/test/services";
import type { Stoppable } from "../_runtime/worker";
import { startOutboxRelay } from "../outbox-relay/relay";
import { type Notifier, startNotifier } from "./notifier";

let s: TestServices;
let f: RoleFixture;
let relay: Stoppable;
let notifier: Notifier;
let receiver: WebhookReceiver;
let ventureId: string;
const timeoutMs = 800;
const backoffBaseMs = 250;
const maxAttempts = 4;

beforeAll(async () => {
  s = await openTestServices();
  f = await roleFixture(s.db);
  receiver = await startWebhookReceiver();
  relay = await startOutboxRelay(s, { pollMs: 50 });
  notifier = await startNotifier(s, {
    appUrl: "http://venture.test",
    maxAttempts,
    delivery: { timeoutMs, backoffBaseMs, backoffMaxMs: 4_000 },
    pollMs: 50,
  });
  ventureId = (
    await createVenture({
      db: s.db,
      actor: { type: "system", id: "test" },
      correlationId: "cor_webhooks",
      portfolioId: f.portfolioId,
      name: "Hooked venture",
      goal: null,
    })
  ).id;
  await fundVenture(s.db, f.portfolioId, ventureId, 100_000_000n);
  await allowCounterparty({ db: s.db, ventureId, counterpartyId: "acme" });
}, 60_000);

afterAll(async () => {
  await notifier?.stop();
  await relay?.stop();
  await receiver?.close();
  await s?.close();
});

const admin = () => f.caller("admin").notifications;
let keys = 0;

/** A money intent that waits for approval: one intent.approval_requested event. */
async function approvalWaiting(): Promise<string> {
  const intent = await createIntent({
    db: s.db,
    actor: { type: "user", id: f.principals.founder.userId },
    correlationId: "cor_webhooks",
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
      purpose: "Webhook test",
      idempotencyKey: `hook-${++keys}`,
    },
  });
  expect(intent.status).toBe("pending_approval");
  return intent.id;
}

async function register(path: string, eventTypes: NotificationKind[] = ["intent.approval_requested"]) {
  const registered = await admin().registerWebhook({
    portfolioId: f.portfolioId,
    url: receiver.url(path),
    eventTypes,
    description: path,
  });
  receiver.secret(path, registered.secret);
  return registered;
}

async function log(endpointId: string) {
  return admin().listWebhookDeliveries({ portfolioId: f.portfolioId, endpointId });
}

describe("registering", () => {
  it("shows the secret once, records the registration without the URL's secret path, and refuses bad input", async () => {
    const before = await s.db.webhookEndpoint.count();
    const { endpoint, secret } = await admin().registerWebhook({
      portfolioId: f.portfolioId,
      url: "https://hooks.slack.example/services/T000/B000/s3cr3tPath",
      eventTypes: ["control.paused", "control.paused", "finding.raised"],
      description: "#ops",
    });
    expect(secret).toMatch(/^whsec_/);
    expect(endpoint).toMatchObject({ status: "active", eventTypes: ["control.paused", "finding.raised"] });
    const listed = await admin().listWebhooks({ portfolioId: f.portfolioId });
    expect(JSON.stringify(listed)).not.toContain(secret);
    const [event] = await s.db.$queryRawUnsafe<Array<{ envelope: string }>>(
      "SELECT envelope FROM event_log WHERE type = 'notifications.webhook_registered' AND stream_id = $1",
      endpoint.id,
    );
    expect(event!.envelope).toContain("https://hooks.slack.example");
    expect(event!.envelope).not.toContain("s3cr3tPath");
    expect(await s.db.webhookEndpoint.count()).toBe(before + 1);

    const bad: Array<[Record<string, unknown>, string]> = [
      [{ url: "ftp://example.com/x" }, "url"],
      [{ url: "/relative" }, "url"],
      [{ url: "https://user:pw@example.com/x" }, "url"],
      [{ eventTypes: [] }, "eventTypes"],
      [{ eventTypes: ["everything"] }, "eventTypes"],
      [{ description: "x".repeat(201) }, "description"],
      [{ surprise: 1 }, "surprise"],
    ];
    const events = await s.db.$queryRawUnsafe<Array<{ n: number }>>(
      "SELECT count(*)::int AS n FROM event_log",
    );
    for (const [change, field] of bad) {
      const error = await admin()
        .registerWebhook({
          portfolioId: f.portfolioId,
          url: "https://example.com/hook",
          eventTypes: ["control.paused"],
          ...change,
        } as never)
        .catch((e: unknown) => e);
      expect(error, JSON.stringify(change)).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe("BAD_REQUEST");
      expect((error as TRPCError).message).toContain(field);
    }
    expect(await s.db.webhookEndpoint.count()).toBe(before + 1);
    const after = await s.db.$queryRawUnsafe<Array<{ n: number }>>(
      "SELECT count(*)::int AS n FROM event_log",
    );
    expect(after[0]!.n).toBe(events[0]!.n);
  });

  it("keeps each portfolio's endpoints to itself", async () => {
    const { endpoint } = await register("/tenant");
    const outsider = f.caller("outsider").notifications;
    // With our portfolio: not a member.
    await expect(outsider.listWebhooks({ portfolioId: f.portfolioId })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    // With their own portfolio (where they are admin) and our endpoint's id: not theirs.
    await expect(
      outsider.listWebhookDeliveries({ portfolioId: f.otherPortfolioId, endpointId: endpoint.id }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      outsider.disableWebhook({ portfolioId: f.otherPortfolioId, endpointId: endpoint.id }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await outsider.listWebhooks({ portfolioId: f.otherPortfolioId })).map((e) => e.id)).not.toContain(
      endpoint.id,
    );
    await admin().disableWebhook({ portfolioId: f.portfolioId, endpointId: endpoint.id });
  });
});

describe("delivering", () => {
  it("POSTs each event signed with the endpoint's secret, to this portfolio's endpoints only", async () => {
    const { endpoint } = await register("/ok");
    // An admin of another portfolio subscribed to the same kind hears nothing of ours.
    const foreign = await f.caller("outsider").notifications.registerWebhook({
      portfolioId: f.otherPortfolioId,
      url: receiver.url("/foreign"),
      eventTypes: ["intent.approval_requested"],
    });
    const intentId = await approvalWaiting();
    const [hit] = await eventually(async () => (receiver.on("/ok").length > 0 ? receiver.on("/ok") : null));
    expect(hit!.signature).toBe("ok");
    expect(hit!.headers["content-type"]).toBe("application/json");
    expect(hit!.headers["venture-event-type"]).toBe("intent.approval_requested");
    expect(hit!.headers["venture-delivery-attempt"]).toBe("1");
    const [decided] = await s.db.$queryRawUnsafe<Array<{ id: string; occurred_at: Date }>>(
      "SELECT id, occurred_at FROM event_log WHERE type = 'treasury.intent_decided' AND stream_id = $1",
      intentId,
    );
    expect(hit!.json).toMatchObject({
      id: decided!.id,
      type: "intent.approval_requested",
      portfolioId: f.portfolioId,
      title: "Approval waiting: 600.00 USD to acme",
      url: "http://venture.test/inbox",
      data: { intentId, ventureId, amountMinor: "60000", currency: "USD" },
    });
    // The signature covers the exact bytes: another secret or a changed body does not verify.
    const header = hit!.headers["venture-signature"] as string;
    expect(verifyWebhookSignature({ secret: "whsec_wrong", header, body: hit!.rawBody }).ok).toBe(false);
    expect(verifyWebhookSignature({ secret: "x", header, body: `${hit!.rawBody} ` }).ok).toBe(false);

    const [delivery] = await eventually(async () => {
      const entries = await log(endpoint.id);
      return entries[0]?.status === "succeeded" ? entries : null;
    });
    expect(hit!.headers["venture-webhook-id"]).toBe(delivery!.id);
    expect(delivery).toMatchObject({
      attempts: 1,
      lastStatusCode: 200,
      lastError: null,
      eventId: decided!.id,
    });
    expect(delivery!.attemptLog).toEqual([
      expect.objectContaining({ attempt: 1, statusCode: 200, error: null }),
    ]);

    await new Promise((r) => setTimeout(r, 500));
    expect(receiver.on("/foreign")).toHaveLength(0);
    expect(receiver.on("/ok")).toHaveLength(1);
    await admin().disableWebhook({ portfolioId: f.portfolioId, endpointId: endpoint.id });
    await f.caller("outsider").notifications.disableWebhook({
      portfolioId: f.otherPortfolioId,
      endpointId: foreign.endpoint.id,
    });
  });

  it("retries a failing endpoint with exponential backoff, sending the same delivery each time", async () => {
    const { endpoint } = await register("/flaky");
    receiver.script("/flaky", { status: 500 }, { status: 502 }, { status: 200 });
    await approvalWaiting();
    const hits = await eventually(
      async () => (receiver.on("/flaky").length >= 3 ? receiver.on("/flaky") : null),
      15_000,
    );
    expect(hits.map((h) => h.answered)).toEqual([500, 502, 200]);
    expect(hits.map((h) => h.headers["venture-delivery-attempt"])).toEqual(["1", "2", "3"]);
    expect(new Set(hits.map((h) => h.headers["venture-webhook-id"])).size).toBe(1);
    expect(new Set(hits.map((h) => h.rawBody)).size).toBe(1);
    expect(hits.every((h) => h.signature === "ok")).toBe(true);
    // Waits of base, then 2 × base (the poll adds at most 50 ms; nothing comes early).
    const gap1 = hits[1]!.at - hits[0]!.at;
    const gap2 = hits[2]!.at - hits[1]!.at;
    expect(gap1).toBeGreaterThanOrEqual(backoffBaseMs - 10);
    expect(gap2).toBeGreaterThanOrEqual(2 * backoffBaseMs - 10);
    const [delivery] = await eventually(async () => {
      const entries = await log(endpoint.id);
      return entries[0]?.status === "succeeded" ? entries : null;
    });
    expect(delivery!.attemptLog.map((a) => [a.attempt, a.statusCode, a.error])).toEqual([
      [1, 500, "HTTP 500"],
      [2, 502, "HTTP 502"],
      [3, 200, null],
    ]);
    await admin().disableWebhook({ portfolioId: f.portfolioId, endpointId: endpoint.id });
  }, 30_000);

  it("gives up after the last attempt and says so in the log", async () => {
    const { endpoint } = await register("/down");
    receiver.always("/down", { status: 503, body: "maintenance" });
    await approvalWaiting();
    const [delivery] = await eventually(async () => {
      const entries = await log(endpoint.id);
      return entries[0]?.status === "failed" ? entries : null;
    }, 20_000);
    expect(delivery).toMatchObject({
      attempts: maxAttempts,
      maxAttempts,
      lastStatusCode: 503,
      nextAttemptAt: null,
    });
    expect(delivery!.attemptLog).toHaveLength(maxAttempts);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(receiver.on("/down")).toHaveLength(maxAttempts);
    const [listed] = (await admin().listWebhooks({ portfolioId: f.portfolioId })).filter(
      (e) => e.id === endpoint.id,
    );
    expect(listed!.deliveries).toEqual({ pending: 0, succeeded: 0, failed: 1 });
    await admin().disableWebhook({ portfolioId: f.portfolioId, endpointId: endpoint.id });
  }, 40_000);

  it("does not let a hanging or failing endpoint hold up the others", async () => {
    const hang = await register("/hang");
    const down = await register("/down2");
    const ok = await register("/ok2");
    receiver.always("/hang", { hang: true });
    receiver.always("/down2", { status: 500 });
    const started = Date.now();
    for (let i = 0; i < 3; i++) await approvalWaiting();
    await eventually(async () => (receiver.on("/ok2").length >= 3 ? receiver.on("/ok2") : null), 10_000);
    expect(Date.now() - started).toBeLessThan(8_000);
    // Each delivery to the healthy endpoint went out as soon as it was enqueued, while the hanging
    // endpoint held a request open: nothing waited behind it (a wait would be a whole timeout).
    const okLog = await eventually(async () => {
      const entries = await log(ok.endpoint.id);
      return entries.length === 3 && entries.every((d) => d.status === "succeeded") ? entries : null;
    });
    for (const delivery of okLog) {
      expect(delivery.attemptLog[0]!.startedAt.getTime() - delivery.createdAt.getTime()).toBeLessThan(
        timeoutMs,
      );
    }
    expect(receiver.on("/hang").length).toBeGreaterThan(0);
    const hangLog = await eventually(async () => {
      const entries = await log(hang.endpoint.id);
      return entries.some((d) => d.attemptLog.length > 0) ? entries : null;
    });
    expect(hangLog.flatMap((d) => d.attemptLog).map((a) => a.error)).toContain(
      `no answer in ${timeoutMs} ms`,
    );
    // One endpoint has at most one request in flight: the hanging one's attempts never overlap.
    const attempts = hangLog
      .flatMap((d) => d.attemptLog)
      .sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime());
    for (let i = 1; i < attempts.length; i++) {
      const previous = attempts[i - 1]!;
      expect(attempts[i]!.startedAt.getTime()).toBeGreaterThanOrEqual(
        previous.startedAt.getTime() + previous.durationMs - 5,
      );
    }
    for (const e of [hang, down, ok]) {
      await admin().disableWebhook({ portfolioId: f.portfolioId, endpointId: e.endpoint.id });
    }
  }, 30_000);

  it("does not follow redirects", async () => {
    const { endpoint } = await register("/moved");
    receiver.always("/moved", { status: 302, body: "" });
    await approvalWaiting();
    const [delivery] = await eventually(async () => {
      const entries = await log(endpoint.id);
      return entries[0]?.attemptLog.length ? entries : null;
    });
    expect(delivery!.attemptLog[0]).toMatchObject({ statusCode: 302, error: "redirect (302) not followed" });
    await admin().disableWebhook({ portfolioId: f.portfolioId, endpointId: endpoint.id });
  });

  it("stops at once when an endpoint is disabled: what waited is closed as failed, nothing new is enqueued", async () => {
    const { endpoint } = await register("/retiring");
    receiver.always("/retiring", { status: 500 });
    await approvalWaiting();
    await eventually(async () => ((await log(endpoint.id))[0]?.attempts ?? 0) >= 1);
    const disabled = await admin().disableWebhook({
      portfolioId: f.portfolioId,
      endpointId: endpoint.id,
      reason: "channel archived",
    });
    expect(disabled).toMatchObject({ changed: true, endpoint: { status: "disabled" } });
    // Disabling twice changes nothing.
    expect(
      (await admin().disableWebhook({ portfolioId: f.portfolioId, endpointId: endpoint.id })).changed,
    ).toBe(false);
    const [closed] = await eventually(async () => {
      const entries = await log(endpoint.id);
      return entries[0]?.status === "failed" ? entries : null;
    });
    expect(closed!.lastError).toBe("endpoint disabled");
    const hits = receiver.on("/retiring").length;
    await approvalWaiting();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(receiver.on("/retiring")).toHaveLength(hits);
    expect(await log(endpoint.id)).toHaveLength(1);
  }, 30_000);

  it("delivers the kill-switch to every subscribed endpoint while everything else is paused", async () => {
    const { endpoint } = await register("/ops", ["control.paused", "control.resumed"]);
    const control = {
      db: s.db,
      actor: { type: "user" as const, id: f.principals.founder.userId },
      actorName: "Founder",
      correlationId: "cor_webhooks",
      reason: "incident 42",
      fanout: null,
    };
    await pause(control);
    try {
      const [hit] = await eventually(async () =>
        receiver.on("/ops").length > 0 ? receiver.on("/ops") : null,
      );
      expect(hit!.json).toMatchObject({
        type: "control.paused",
        portfolioId: null,
        text: "Reason: incident 42",
        url: "http://venture.test/control",
      });
      expect(hit!.signature).toBe("ok");
    } finally {
      await resume({ ...control, reason: "resolved" });
    }
    await eventually(async () => receiver.on("/ops").some((h) => h.json?.type === "control.resumed"));
    await admin().disableWebhook({ portfolioId: f.portfolioId, endpointId: endpoint.id });
  });
});

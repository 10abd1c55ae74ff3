// The reconciliation and sandbox-payment rows of the HTTP API (TREAS-008/009) over the real
// database: finance controllers and admins reconcile and read runs, founders take sandbox payments;
// bad input names the field and writes nothing; other roles and tenants are refused as for tRPC. And
// the void of an approved payment that has not left (UJ-3).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticateApiToken, createApiToken } from "@/server/contexts/identity/api-tokens";
import { fundedIntentFixture, type IntentFixture } from "@/server/contexts/treasury/intents/testing";
import { createLogger } from "@/server/shared/logger";
import { openTestServices, type TestServices } from "@/test/services";
import { handleHttpApi } from "../../http-api";
import type { TrpcContext } from "../../init";
import { openApiDocument } from "../../openapi";

let s: TestServices;
let f: IntentFixture;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  s = await openTestServices();
  f = await fundedIntentFixture(s.db, 100_000n);
  for (const who of ["founder", "finance_controller", "auditor", "outsider"] as const) {
    tokens[who] = (
      await createApiToken({
        db: s.db,
        actor: { type: "system", id: "test" },
        correlationId: "cor_http_rails",
        email: f.principals[who].email,
        name: "t",
        ttlDays: 1,
      })
    ).token;
  }
});
afterAll(async () => {
  await s.close();
});

async function request(method: string, path: string, who: string | null, body?: unknown) {
  const token = who ? tokens[who]! : null;
  const principal = token ? await authenticateApiToken({ db: s.db, token }) : null;
  const ctx: TrpcContext = {
    db: s.db,
    log: createLogger({ name: "test", level: "silent" }),
    principal,
    credentialsRejected: false,
    correlationId: "cor_http_rails_test",
  };
  const init: RequestInit = { method };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await handleHttpApi(
    new Request(`http://test/api/v1${path}`, init),
    path.split("?")[0]!,
    ctx,
  );
  return {
    status: response.status,
    json: (await response.json()) as Record<string, unknown> & { error?: Record<string, unknown> },
  };
}

const runs = async () =>
  Number(
    (
      await s.db.$queryRawUnsafe<Array<{ n: number }>>(
        "SELECT count(*)::int AS n FROM treasury_reconciliations",
      )
    )[0]!.n,
  );

describe("POST and GET /treasury/reconciliations", () => {
  it("runs a reconciliation on demand and reads it back", async () => {
    const paid = await request("POST", "/treasury/sandbox-payments", "founder", {
      portfolioId: f.portfolioId,
      ventureId: f.ventureId,
      amountMinor: "4999",
      currency: "USD",
      customer: "first customer",
      idempotencyKey: "http-sale-1",
    });
    expect(paid.status).toBe(201);
    expect(paid.json).toMatchObject({ amountMinor: "4999", rail: "sandbox", duplicate: false });

    const run = await request("POST", "/treasury/reconciliations", "finance_controller", {
      portfolioId: f.portfolioId,
    });
    expect(run.status).toBe(201);
    expect(run.json).toMatchObject({ status: "balanced", matched: 1, mismatchCount: 0, rail: "sandbox" });
    const one = await request(
      "GET",
      `/treasury/reconciliations/${run.json.id}?portfolioId=${f.portfolioId}`,
      "finance_controller",
    );
    expect(one.status).toBe(200);
    expect(one.json).toMatchObject({ id: run.json.id, trigger: "request" });
    const list = await request(
      "GET",
      `/treasury/reconciliations?portfolioId=${f.portfolioId}`,
      "finance_controller",
    );
    expect((list.json as unknown as Array<{ id: string }>).map((r) => r.id)).toContain(run.json.id);
    const missing = await request(
      "GET",
      `/treasury/reconciliations/rec_nope?portfolioId=${f.portfolioId}`,
      "finance_controller",
    );
    expect(missing.status).toBe(404);
  });

  it("refuses other roles, other tenants and anonymous callers", async () => {
    const before = await runs();
    expect(
      (await request("POST", "/treasury/reconciliations", "founder", { portfolioId: f.portfolioId })).status,
    ).toBe(403);
    expect(
      (await request("POST", "/treasury/reconciliations", "auditor", { portfolioId: f.portfolioId })).status,
    ).toBe(403);
    expect(
      (await request("POST", "/treasury/reconciliations", "outsider", { portfolioId: f.portfolioId })).status,
    ).toBe(404);
    expect(
      (await request("POST", "/treasury/reconciliations", null, { portfolioId: f.portfolioId })).status,
    ).toBe(401);
    expect(
      (
        await request("POST", "/treasury/sandbox-payments", "finance_controller", {
          portfolioId: f.portfolioId,
          ventureId: f.ventureId,
          amountMinor: "1",
          currency: "USD",
          idempotencyKey: "not-yours",
        })
      ).status,
    ).toBe(403);
    expect(await runs()).toBe(before);
  });

  it("answers 400 naming the field and writes nothing", async () => {
    const before = await runs();
    const period = await request("POST", "/treasury/reconciliations", "finance_controller", {
      portfolioId: f.portfolioId,
      from: "2026-11-28T10:00:00Z",
      to: "2026-11-27T10:00:00Z",
    });
    expect(period.status).toBe(400);
    expect(period.json.error).toMatchObject({ code: "BAD_REQUEST", fields: { to: "after from" } });
    const badDate = await request("POST", "/treasury/reconciliations", "finance_controller", {
      portfolioId: f.portfolioId,
      from: "yesterday",
      extra: true,
    });
    expect(badDate.status).toBe(400);
    expect(badDate.json.error).toMatchObject({
      fields: { from: expect.any(String), extra: "unknown field" },
    });
    const stripe = await request("POST", "/treasury/reconciliations", "finance_controller", {
      portfolioId: f.portfolioId,
      rail: "stripe",
    });
    expect(stripe.status).toBe(400);
    expect(stripe.json.error).toMatchObject({ fields: { rail: expect.stringMatching(/not configured/) } });
    expect(await runs()).toBe(before);
    const fraction = await request("POST", "/treasury/sandbox-payments", "founder", {
      portfolioId: f.portfolioId,
      ventureId: f.ventureId,
      amountMinor: "12.50",
      currency: "USD",
      idempotencyKey: "http-bad",
    });
    expect(fraction.status).toBe(400);
    expect(fraction.json.error).toMatchObject({ fields: { amountMinor: expect.any(String) } });
  });

  it("is documented in the OpenAPI document", () => {
    const paths = Object.keys((openApiDocument("http://test") as { paths: Record<string, unknown> }).paths);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/api/v1/treasury/reconciliations",
        "/api/v1/treasury/reconciliations/{id}",
        "/api/v1/treasury/sandbox-payments",
        "/api/v1/intents/{id}/void-payout",
      ]),
    );
  });
});

describe("POST /intents/{id}/void-payout", () => {
  const approvedPayment = async (key: string) => {
    const created = await request("POST", "/intents", "founder", {
      portfolioId: f.portfolioId,
      ventureId: f.ventureId,
      amountMinor: "3000",
      currency: "USD",
      counterparty: "acme",
      category: "saas",
      purpose: "A subscription we no longer want",
      idempotencyKey: key,
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json.status).toBe("approved");
    return created.json.id as string;
  };
  const events = async () =>
    Number(
      (await s.db.$queryRawUnsafe<Array<{ n: number }>>("SELECT count(*)::int AS n FROM event_log"))[0]!.n,
    );

  it("voids an approved payment not yet sent, with the note, for a finance controller", async () => {
    const id = await approvedPayment("http-void-1");
    const voided = await request("POST", `/intents/${id}/void-payout`, "finance_controller", {
      portfolioId: f.portfolioId,
      note: "Cancelled the subscription",
    });
    expect(voided.status, JSON.stringify(voided.json)).toBe(200);
    expect(voided.json).toMatchObject({ id, status: "failed" });
    expect(JSON.stringify(voided.json.reasons)).toContain("Cancelled the subscription");
    // Voided once: a second void is refused.
    const again = await request("POST", `/intents/${id}/void-payout`, "finance_controller", {
      portfolioId: f.portfolioId,
      note: "Twice",
    });
    expect(again.status).toBeGreaterThanOrEqual(400);
  });

  it("refuses the founder, an outsider, an anonymous caller and a missing note, and writes nothing", async () => {
    const id = await approvedPayment("http-void-2");
    const before = await events();
    const founder = await request("POST", `/intents/${id}/void-payout`, "founder", {
      portfolioId: f.portfolioId,
      note: "Mine",
    });
    expect(founder.status).toBe(403);
    const outsider = await request("POST", `/intents/${id}/void-payout`, "outsider", {
      portfolioId: f.portfolioId,
      note: "Theirs",
    });
    // Not a member: the portfolio does not exist for them.
    expect(outsider.status).toBe(404);
    const anonymous = await request("POST", `/intents/${id}/void-payout`, null, {
      portfolioId: f.portfolioId,
      note: "Anyone",
    });
    expect(anonymous.status).toBe(401);
    const noNote = await request("POST", `/intents/${id}/void-payout`, "finance_controller", {
      portfolioId: f.portfolioId,
    });
    expect(noNote.status).toBe(400);
    expect(noNote.json.error).toMatchObject({ fields: { note: expect.any(String) } });
    expect(await events()).toBe(before);
  });
});

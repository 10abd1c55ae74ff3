// Rebalancing over the HTTP API (ADR 0016): a transfer requested with an API token is a money intent
// pending approval with amounts as strings of digits; bad input is a 400 naming the field and writes
// nothing; recommendations serialize bigint money as digits; the routes are in /api/openapi.json.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticateApiToken, createApiToken } from "@/server/contexts/identity/api-tokens";
import { type RebalancingFixture, rebalancingFixture } from "@/server/contexts/treasury/rebalancing/testing";
import { createLogger } from "@/server/shared/logger";
import { openTestServices, type TestServices } from "@/test/services";
import { handleHttpApi } from "../../http-api";
import type { TrpcContext } from "../../init";
import { openApiDocument } from "../../openapi";

let s: TestServices;
let f: RebalancingFixture;
let a: string;
let b: string;
let token: string;

beforeAll(async () => {
  s = await openTestServices();
  f = await rebalancingFixture(s.db);
  a = await f.venture("Http source", { budgetMinor: 500_000n });
  b = await f.venture("Http target", { budgetMinor: 10_000n });
  token = (
    await createApiToken({
      db: s.db,
      actor: { type: "system", id: "test" },
      correlationId: "cor_http_rebalancing",
      email: f.principals.founder.email,
      name: "t",
      ttlDays: 1,
    })
  ).token;
});
afterAll(async () => {
  await s.close();
});

async function request(method: string, path: string, body?: unknown) {
  const principal = await authenticateApiToken({ db: s.db, token });
  const ctx: TrpcContext = {
    db: s.db,
    log: createLogger({ name: "test", level: "silent" }),
    principal,
    credentialsRejected: false,
    correlationId: "cor_http_rebalancing_test",
  };
  const init: RequestInit = { method };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await handleHttpApi(
    new Request(`http://test/api/v1${path}`, init),
    path.split("?")[0]!,
    ctx,
  );
  return { status: response.status, json: JSON.parse(await response.text()) as Record<string, unknown> };
}

async function written(): Promise<number> {
  const [row] = await s.db.$queryRawUnsafe<Array<{ n: number }>>(
    `SELECT ((SELECT count(*) FROM event_log) + (SELECT count(*) FROM ledger_holds)
           + (SELECT count(*) FROM money_intents) + (SELECT count(*) FROM treasury_budget_transfers))::int AS n`,
  );
  return row!.n;
}

const body = (over: Record<string, unknown> = {}) => ({
  portfolioId: f.portfolioId,
  fromVentureId: a,
  toVentureId: b,
  amountMinor: "25000",
  currency: "USD",
  reason: "Http transfer",
  ...over,
});

describe("/api/v1/rebalancing", () => {
  it("POST /transfers requests a transfer that waits for approval", async () => {
    const res = await request("POST", "/rebalancing/transfers", body({ idempotencyKey: "http-1" }));
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      amountMinor: "25000",
      category: "budget_transfer",
      ventureId: a,
      counterparty: b,
      fromVentureId: a,
      toVentureId: b,
      transferStatus: "pending_approval",
      entryId: null,
    });
    const again = await request("POST", "/rebalancing/transfers", body({ idempotencyKey: "http-1" }));
    expect(again.status).toBe(201);
    expect(again.json.id).toBe(res.json.id);
    const list = await request("GET", `/rebalancing/transfers?portfolioId=${f.portfolioId}&ventureId=${b}`);
    expect(list.status).toBe(200);
    expect(list.json).toEqual([
      expect.objectContaining({ intentId: res.json.id, status: "pending_approval" }),
    ]);
  });

  it("bad input is a 400 naming the field, and writes nothing", async () => {
    const before = await written();
    for (const [over, field] of [
      [{ toVentureId: a }, "toVentureId"],
      [{ amountMinor: "0" }, "amountMinor"],
      [{ amountMinor: 250 }, "amountMinor"],
      [{ toVentureId: "ven_nope" }, "toVentureId"],
      [{ currency: "EUR" }, "currency"],
      [{ idempotencyKey: "http-1", amountMinor: "1" }, "idempotencyKey"],
    ] as const) {
      const res = await request("POST", "/rebalancing/transfers", body(over));
      const error = res.json.error as { fields?: Record<string, string> };
      expect(`${field}: ${res.status}`).toBe(`${field}: ${field === "idempotencyKey" ? 409 : 400}`);
      expect(Object.keys(error.fields ?? {})).toContain(field);
    }
    expect(await written()).toBe(before);
  });

  it("GET /recommendations answers every venture's figures, money as digits", async () => {
    const res = await request("GET", `/rebalancing/recommendations?portfolioId=${f.portfolioId}`);
    expect(res.status).toBe(200);
    const ventures = res.json.ventures as Array<Record<string, unknown>>;
    expect(ventures.find((v) => v.ventureId === a)).toMatchObject({
      budgetAvailableMinor: "475000",
      runwayDays: null,
      revenueTrend: "none",
    });
    expect(res.json.recommendations).toEqual([]);
  });

  it("the routes are documented in the OpenAPI document", () => {
    const paths = openApiDocument("http://test").paths;
    expect(Object.keys(paths["/api/v1/rebalancing/transfers"] ?? {}).sort()).toEqual(["get", "post"]);
    expect(Object.keys(paths["/api/v1/rebalancing/recommendations"] ?? {})).toEqual(["get"]);
  });
});

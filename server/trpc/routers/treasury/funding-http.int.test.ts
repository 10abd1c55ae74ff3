// Deposits and budget allocations through the HTTP API over the real database (ADR 0012): money
// lands in the right accounts, allocations go through the treasury policy and the approval inbox
// (approved → settled, pending, denied, frozen), bad input names the field and writes nothing,
// roles and tenants are enforced as for tRPC.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pause, resume } from "@/server/contexts/control/api";
import { authenticateApiToken, createApiToken } from "@/server/contexts/identity/api-tokens";
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import { getBalances } from "@/server/contexts/treasury/ledger/get-balances";
import { trialBalance } from "@/server/contexts/treasury/ledger/trial-balance";
import type { Role } from "@/server/shared/events/catalog";
import { readEvents, sealEvents } from "@/server/shared/events/store";
import { createLogger } from "@/server/shared/logger";
import { openTestServices, type TestServices } from "@/test/services";
import { type RoleFixture, roleFixture } from "../../fixtures";
import { handleHttpApi } from "../../http-api";
import type { TrpcContext } from "../../init";
import { openApiDocument } from "../../openapi";

let s: TestServices;
let f: RoleFixture;
let ventureId: string;
const tokens: Partial<Record<Role | "outsider", string>> = {};

const usd = (portfolioOrVenture: string, code: string) => `${portfolioOrVenture}:${code}:USD`;

beforeAll(async () => {
  s = await openTestServices();
  f = await roleFixture(s.db);
  ventureId = (
    await createVenture({
      db: s.db,
      actor: { type: "system", id: "test" },
      correlationId: "cor_http_funding",
      portfolioId: f.portfolioId,
      name: "Funded Robots",
      goal: null,
    })
  ).id;
  for (const who of ["founder", "finance_controller", "admin", "auditor", "outsider"] as const) {
    tokens[who] = (
      await createApiToken({
        db: s.db,
        actor: { type: "system", id: "test" },
        correlationId: "cor_http_funding",
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

type Json = Record<string, unknown> & {
  error?: { code: string; message: string; fields?: Record<string, string> };
};

async function request(method: string, path: string, who: Role | "outsider" | null, body?: unknown) {
  const token = who ? tokens[who]! : null;
  const principal = token ? await authenticateApiToken({ db: s.db, token }) : null;
  const ctx: TrpcContext = {
    db: s.db,
    log: createLogger({ name: "test", level: "silent" }),
    principal,
    credentialsRejected: false,
    correlationId: "cor_http_funding_test",
  };
  const init: RequestInit = { method };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const response = await handleHttpApi(
    new Request(`http://test/api/v1${path}`, init),
    path.split("?")[0]!,
    ctx,
  );
  const text = await response.text();
  const isJson = response.headers.get("content-type")?.startsWith("application/json");
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: (isJson ? JSON.parse(text) : {}) as Json,
  };
}

/** Rows that a refused request must not have written. */
async function written(): Promise<Record<string, number>> {
  const [row] = await s.db.$queryRawUnsafe<Array<Record<string, number>>>(
    `SELECT (SELECT count(*) FROM event_log)::int AS events,
            (SELECT count(*) FROM ledger_entries)::int AS entries,
            (SELECT count(*) FROM ledger_holds)::int AS holds,
            (SELECT count(*) FROM ledger_accounts)::int AS accounts,
            (SELECT count(*) FROM treasury_deposits)::int AS deposits,
            (SELECT count(*) FROM treasury_allocations)::int AS allocations,
            (SELECT count(*) FROM money_intents)::int AS intents`,
  );
  return row!;
}

async function available(accountId: string): Promise<bigint> {
  const [balance] = await getBalances(s.db, { accountIds: [accountId] });
  return balance!.availableMinor;
}

async function posted(accountId: string): Promise<bigint> {
  const [balance] = await getBalances(s.db, { accountIds: [accountId] });
  return balance!.postedMinor;
}

async function deposit(amountMinor: string, extra: Record<string, unknown> = {}) {
  return request("POST", "/treasury/deposits", "finance_controller", {
    portfolioId: f.portfolioId,
    amountMinor,
    currency: "USD",
    source: "Seed round",
    ...extra,
  });
}

async function allocate(
  amountMinor: string,
  extra: Record<string, unknown> = {},
  who: Role | "outsider" = "founder",
) {
  return request("POST", `/ventures/${extra.ventureId ?? ventureId}/allocations`, who, {
    amountMinor,
    currency: "USD",
    reason: "Launch advertising",
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== "ventureId")),
  });
}

describe("POST /api/v1/treasury/deposits", () => {
  it("puts capital into the treasury's cash against equity, once per idempotency key", async () => {
    const first = await deposit("2000000", { idempotencyKey: "seed-1" });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({ amountMinor: "2000000", currency: "USD", source: "Seed round" });
    expect(await posted(usd(f.portfolioId, "cash"))).toBe(2_000_000n);
    expect(await posted(usd(f.portfolioId, "equity"))).toBe(2_000_000n);
    const again = await deposit("2000000", { idempotencyKey: "seed-1" });
    expect(again.status).toBe(201);
    expect(again.json.id).toBe(first.json.id);
    expect(await posted(usd(f.portfolioId, "cash"))).toBe(2_000_000n);
    const reused = await deposit("2000001", { idempotencyKey: "seed-1" });
    expect(reused.status).toBe(409);
    expect(reused.json.error?.fields).toHaveProperty("idempotencyKey");
    await sealEvents(s.db);
    const events = await readEvents(s.db, { portfolioId: f.portfolioId, limit: 1_000 });
    expect(events.filter((e) => e.type === "treasury.deposit_recorded")).toHaveLength(1);
  });

  it.each([
    ["negative", { amountMinor: "-5" }, "amountMinor"],
    ["zero", { amountMinor: "0" }, "amountMinor"],
    ["fractional", { amountMinor: "12.5" }, "amountMinor"],
    ["a JSON number", { amountMinor: 125 }, "amountMinor"],
    ["too large", { amountMinor: "1000000000000001" }, "amountMinor"],
    ["beyond 64 bits", { amountMinor: "123456789012345678901234" }, "amountMinor"],
    ["wrong currency", { currency: "usd" }, "currency"],
    ["unknown currency", { currency: "ZZZ" }, "currency"],
    ["a venture (deposits go to the portfolio)", { ventureId: "ven_unknown" }, "ventureId"],
    ["an unknown field", { bonus: true }, "bonus"],
    ["no source", { source: "" }, "source"],
  ])("answers 400 for %s, naming the field, and writes nothing", async (_what, change, field) => {
    const before = await written();
    const res = await deposit("1000", change);
    expect(res.status, JSON.stringify(res.json)).toBe(400);
    expect(res.json.error?.code).toBe("BAD_REQUEST");
    expect(res.json.error?.fields ?? {}).toHaveProperty([field]);
    expect(await written()).toEqual(before);
  });

  it("refuses founders and auditors (403), other tenants (404) and anonymous callers (401)", async () => {
    const body = { portfolioId: f.portfolioId, amountMinor: "100", currency: "USD", source: "Nope!" };
    const before = await written();
    expect((await request("POST", "/treasury/deposits", "founder", body)).status).toBe(403);
    expect((await request("POST", "/treasury/deposits", "auditor", body)).status).toBe(403);
    expect((await request("POST", "/treasury/deposits", "outsider", body)).status).toBe(404);
    expect((await request("POST", "/treasury/deposits", null, body)).status).toBe(401);
    expect(await written()).toEqual(before);
  });

  it("is refused while everything is paused (422), and works again after resume", async () => {
    const change = {
      db: s.db,
      actor: { type: "user" as const, id: f.principals.admin.userId },
      actorName: "Admin",
      correlationId: "cor_http_funding_pause",
      fanout: null,
    };
    await pause({ ...change, reason: "deposit drill" });
    try {
      const before = await written();
      const res = await deposit("1000");
      expect(res.status).toBe(422);
      expect(res.json.error?.message).toMatch(/paused|deposit drill/i);
      expect(await written()).toEqual(before);
    } finally {
      await resume({ ...change, reason: "drill over" });
    }
    expect((await deposit("1000")).status).toBe(201);
  });
});

describe("POST /api/v1/ventures/{id}/allocations", () => {
  it("holds a request on the treasury's cash until a finance controller approves, then settles it", async () => {
    const treasuryBefore = await available(usd(f.portfolioId, "cash"));
    const res = await allocate("200000", { idempotencyKey: "launch-1" });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      status: "pending_approval",
      allocationStatus: "pending_approval",
      category: "budget_allocation",
      ventureId,
      amountMinor: "200000",
      reason: "Launch advertising",
      settledAt: null,
    });
    expect((res.json.reasons as string[]).join(" ")).toMatch(/approval/);
    expect(await available(usd(f.portfolioId, "cash"))).toBe(treasuryBefore - 200_000n);
    expect(await available(usd(ventureId, "budget"))).toBe(0n);

    // The same key with the same content is the same allocation.
    const again = await allocate("200000", { idempotencyKey: "launch-1" });
    expect(again.json.id).toBe(res.json.id);

    const approved = await request("POST", `/intents/${res.json.id}/approve`, "finance_controller", {
      portfolioId: f.portfolioId,
      note: "Go",
    });
    expect(approved.status).toBe(200);
    expect(approved.json.status).toBe("approved");
    const balances = await request("GET", `/ventures/${ventureId}/balances`, "auditor");
    expect(balances.status).toBe(200);
    expect(balances.json.summary).toEqual([
      expect.objectContaining({ currency: "USD", budgetAvailableMinor: "200000", fundedMinor: "200000" }),
    ]);
    // The venture's whole chart is open, so its first model call finds its expense account.
    const [models] = await s.db.$queryRawUnsafe<Array<{ n: bigint }>>(
      "SELECT count(*) AS n FROM ledger_accounts WHERE id = $1",
      usd(ventureId, "expense:models"),
    );
    expect(models!.n).toBe(1n);
    expect(await posted(usd(f.portfolioId, "venture_funding"))).toBe(200_000n);
    expect(await available(usd(f.portfolioId, "cash"))).toBe(treasuryBefore - 200_000n);
    expect(await posted(usd(f.portfolioId, "cash"))).toBe(treasuryBefore - 200_000n);
    const tb = await trialBalance(s.db, { portfolioId: f.portfolioId });
    expect(tb.currencies.map((c) => c.netPostedMinor)).toEqual([0n]);

    await sealEvents(s.db);
    const types = (await readEvents(s.db, { portfolioId: f.portfolioId, limit: 1_000 }))
      .filter((e) => e.stream.id === res.json.id || e.type.startsWith("treasury.allocation_"))
      .map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining([
        "treasury.intent_created",
        "treasury.intent_decided",
        "treasury.allocation_requested",
        "treasury.allocation_settled",
      ]),
    );
  });

  it("needs two distinct approvers above the four-eyes threshold before the money moves", async () => {
    const res = await allocate("600000");
    expect(res.json).toMatchObject({ status: "pending_approval", approvalsRequired: 2 });
    const budget = await available(usd(ventureId, "budget"));
    await request("POST", `/intents/${res.json.id}/approve`, "finance_controller", {
      portfolioId: f.portfolioId,
      note: "One",
    });
    expect(await available(usd(ventureId, "budget"))).toBe(budget);
    const second = await request("POST", `/intents/${res.json.id}/approve`, "admin", {
      portfolioId: f.portfolioId,
      note: "Two",
    });
    expect(second.json.status).toBe("approved");
    expect(await available(usd(ventureId, "budget"))).toBe(budget + 600_000n);
  });

  it("releases the treasury's hold when a finance controller denies, and the requester cannot approve", async () => {
    const treasuryBefore = await available(usd(f.portfolioId, "cash"));
    const res = await allocate("70000", {}, "admin");
    expect(res.json.status).toBe("pending_approval");
    const self = await request("POST", `/intents/${res.json.id}/approve`, "admin", {
      portfolioId: f.portfolioId,
      note: "Mine",
    });
    expect(self.status).toBe(403);
    const denied = await request("POST", `/intents/${res.json.id}/deny`, "finance_controller", {
      portfolioId: f.portfolioId,
      note: "Not this quarter",
    });
    expect(denied.json.status).toBe("denied");
    expect(await available(usd(f.portfolioId, "cash"))).toBe(treasuryBefore);
  });

  it("is denied by the policy above the budget-move limit, and when the treasury cannot cover it", async () => {
    const before = await available(usd(f.portfolioId, "cash"));
    const big = await allocate("10000001");
    expect(big.status).toBe(201);
    expect(big.json).toMatchObject({ status: "denied", holdId: null });
    expect((big.json.reasons as string[]).join(" ")).toMatch(/budget move is above the limit/);
    const short = await allocate((before + 1n).toString());
    expect(short.json.status).toBe("denied");
    expect((short.json.reasons as string[]).join(" ")).toMatch(/treasury's cash cannot cover/);
    expect(await available(usd(f.portfolioId, "cash"))).toBe(before);
  });

  it("is denied while the venture's treasury is frozen, and a pending one cannot be approved", async () => {
    const pending = await allocate("1000");
    expect(pending.json.status).toBe("pending_approval");
    const frozen = await request("POST", "/treasury/freeze", "finance_controller", {
      portfolioId: f.portfolioId,
      ventureId,
      reason: "burn spike under review",
    });
    expect(frozen.status).toBe(200);
    try {
      const res = await allocate("1000");
      expect(res.json.status).toBe("denied");
      expect((res.json.reasons as string[]).join(" ")).toContain("burn spike under review");
      const approve = await request("POST", `/intents/${pending.json.id}/approve`, "finance_controller", {
        portfolioId: f.portfolioId,
        note: "Try",
      });
      expect(approve.status).toBe(422);
      expect((await request("GET", `/ventures/${ventureId}/balances`, "founder")).json.summary).toEqual([
        expect.objectContaining({ budgetAvailableMinor: expect.any(String) }),
      ]);
    } finally {
      await request("POST", "/treasury/unfreeze", "finance_controller", {
        portfolioId: f.portfolioId,
        ventureId,
        reason: "reviewed",
      });
    }
  });

  it.each([
    ["negative", { amountMinor: "-100" }, "amountMinor"],
    ["zero", { amountMinor: "0" }, "amountMinor"],
    ["fractional", { amountMinor: "10.50" }, "amountMinor"],
    ["too large", { amountMinor: "99999999999999999999" }, "amountMinor"],
    ["wrong currency", { currency: "dollars" }, "currency"],
    ["an unknown field", { counterparty: "acme" }, "counterparty"],
    ["no reason", { reason: "" }, "reason"],
  ])("answers 400 for %s, naming the field, and writes nothing", async (_what, change, field) => {
    const before = await written();
    const res = await allocate("1000", change);
    expect(res.status, JSON.stringify(res.json)).toBe(400);
    expect(res.json.error?.fields ?? {}).toHaveProperty([field]);
    expect(await written()).toEqual(before);
  });

  it("answers 404 for an unknown venture or another tenant's venture, 403 for an auditor, and writes nothing", async () => {
    const before = await written();
    const unknown = await allocate("1000", { ventureId: "ven_unknown" });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error?.message).toContain("ven_unknown");
    expect((await allocate("1000", {}, "outsider")).status).toBe(404);
    expect((await allocate("1000", {}, "auditor")).status).toBe(403);
    expect((await request("GET", `/ventures/${ventureId}/balances`, "outsider")).status).toBe(404);
    expect(await written()).toEqual(before);
  });
});

describe("OpenAPI", () => {
  it("documents the funding routes and the CSV download", () => {
    const doc = openApiDocument("http://localhost:3000") as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>
      >;
    };
    for (const path of [
      "/api/v1/treasury/deposits",
      "/api/v1/ventures/{id}/allocations",
      "/api/v1/ventures/{id}/balances",
      "/api/v1/ledger/trial-balance",
      "/api/v1/treasury/reports/{report}/csv",
    ]) {
      expect(doc.paths).toHaveProperty([path]);
    }
    const csv = doc.paths["/api/v1/treasury/reports/{report}/csv"]!.get!.responses["200"]!;
    expect(Object.keys(csv.content ?? {})).toEqual(["text/csv; charset=utf-8"]);
  });
});

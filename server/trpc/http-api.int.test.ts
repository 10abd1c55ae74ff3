// The HTTP API (/api/v1) over the real database: status codes, field-named errors, nothing
// written on bad input.
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticateApiToken, createApiToken } from "@/server/contexts/identity/api-tokens";
import { createLogger } from "@/server/shared/logger";
import { busyDb } from "@/test/busy-db";
import { openTestServices, type TestServices } from "@/test/services";
import { createTrpcContext } from "./context";
import { type RoleFixture, roleFixture } from "./fixtures";
import { handleHttpApi, httpErrorResponse } from "./http-api";
import { type TrpcContext, trpcResponseMeta } from "./init";
import { openApiDocument } from "./openapi";
import { appRouter } from "./root";

let s: TestServices;
let f: RoleFixture;
let founderToken: string;
let auditorToken: string;

beforeAll(async () => {
  s = await openTestServices();
  f = await roleFixture(s.db);
  const mk = async (email: string) =>
    (
      await createApiToken({
        db: s.db,
        actor: { type: "system", id: "test" },
        correlationId: "cor_http",
        email,
        name: "test",
        ttlDays: 1,
      })
    ).token;
  founderToken = await mk(f.principals.founder.email);
  auditorToken = await mk(f.principals.auditor.email);
});
afterAll(async () => {
  await s.close();
});

async function request(method: string, path: string, token: string | null, body?: unknown) {
  const principal = token ? await authenticateApiToken({ db: s.db, token }) : null;
  const ctx: TrpcContext = {
    db: s.db,
    log: createLogger({ name: "test", level: "silent" }),
    principal,
    credentialsRejected: token !== null && principal === null,
    correlationId: "cor_http_test",
  };
  const init: RequestInit = { method };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  const response = await handleHttpApi(new Request(`http://test/api/v1${path}`, init), path, ctx);
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function ventureCount(): Promise<number> {
  return s.db.venture.count({ where: { portfolioId: f.portfolioId } });
}

describe("POST /api/v1/ventures", () => {
  it("creates a venture with a founder's token: 201 and the venture", async () => {
    const res = await request("POST", "/ventures", founderToken, {
      portfolioId: f.portfolioId,
      name: "Http Co",
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      name: "Http Co",
      slug: "http-co",
      status: "provisioning",
      stage: "idea",
    });
    const got = await request("GET", `/ventures/${res.json.id}`, founderToken);
    expect(got.status).toBe(200);
    expect(got.json.id).toBe(res.json.id);
  });

  it("answers 400 naming each bad field, and writes nothing", async () => {
    const before = await ventureCount();
    const res = await request("POST", "/ventures", founderToken, {
      portfolioId: f.portfolioId,
      name: "x",
      surprise: true,
    });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({
      code: "BAD_REQUEST",
      fields: { name: expect.any(String), surprise: "unknown field" },
    });
    const malformed = await request("POST", "/ventures", founderToken, "{not json");
    expect(malformed.status).toBe(400);
    expect(malformed.json.error).toMatchObject({ fields: { body: "invalid JSON" } });
    const missing = await request("POST", "/ventures", founderToken, { name: "No Portfolio" });
    expect(missing.status).toBe(400);
    expect(String((missing.json.error as { message: string }).message)).toMatch(/portfolioId/);
    expect(await ventureCount()).toBe(before);
  });

  it("answers 409 for a duplicate name in the portfolio", async () => {
    await request("POST", "/ventures", founderToken, { portfolioId: f.portfolioId, name: "Twice" });
    const again = await request("POST", "/ventures", founderToken, {
      portfolioId: f.portfolioId,
      name: "twice",
    });
    expect(again.status).toBe(409);
  });

  it("answers 401 without or with a bad token, 403 for a role that may not create", async () => {
    expect(
      (await request("POST", "/ventures", null, { portfolioId: f.portfolioId, name: "Nope" })).status,
    ).toBe(401);
    expect(
      (await request("POST", "/ventures", "vt_forged", { portfolioId: f.portfolioId, name: "Nope" })).status,
    ).toBe(401);
    const forbidden = await request("POST", "/ventures", auditorToken, {
      portfolioId: f.portfolioId,
      name: "Nope",
    });
    expect(forbidden.status).toBe(403);
    expect(forbidden.json.error).toMatchObject({ code: "FORBIDDEN" });
  });

  it("answers 404 for an unknown venture or route and 405 for a wrong method", async () => {
    expect((await request("GET", "/ventures/ven_unknown", founderToken)).status).toBe(404);
    expect((await request("GET", "/nothing-here", founderToken)).status).toBe(404);
    expect((await request("POST", "/ventures/ven_x", founderToken, {})).status).toBe(405);
  });
});

describe("an overloaded database", () => {
  it("answers 503 with Retry-After, names the cause, and writes nothing", async () => {
    // One connection, held by an open transaction, and no room to wait for it.
    const { db: busy, release, holder } = await busyDb(s.databaseUrl, { maxWaiting: 0 });
    const log = createLogger({ name: "test", level: "silent" });
    try {
      const before = await ventureCount();
      const principal = await authenticateApiToken({ db: s.db, token: founderToken });
      const ctx: TrpcContext = { db: busy, log, principal, correlationId: "cor_http_busy" };
      const body = JSON.stringify({ portfolioId: f.portfolioId, name: "Busy Co" });
      const response = await handleHttpApi(
        new Request("http://test/api/v1/ventures", { method: "POST", body }),
        "/ventures",
        ctx,
      );
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("1");
      const json = (await response.json()) as { error: { code: string; message: string } };
      expect(json.error.code).toBe("UNAVAILABLE");
      expect(json.error.message).toMatch(/overloaded/);
      expect(await ventureCount()).toBe(before);

      // The token check of the request itself meets the same pool: 503 too, not an internal error.
      const refused = await createTrpcContext({
        headers: new Headers({ authorization: `Bearer ${founderToken}` }),
        allowSession: false,
        runtime: { db: busy, readDb: busy, controlDb: busy, log },
      }).then(
        () => null,
        (error: unknown) => httpErrorResponse(error, log),
      );
      expect(refused?.status).toBe(503);
      expect(refused?.headers.get("retry-after")).toBe("1");

      // tRPC, as the web UI calls it (a Prisma query, whose wrapped refusal is recovered): 503 too.
      const input = encodeURIComponent(JSON.stringify({ json: { portfolioId: f.portfolioId } }));
      const trpc = await fetchRequestHandler({
        endpoint: "/api/trpc",
        req: new Request(`http://test/api/trpc/orchestration.listVentures?input=${input}`),
        router: appRouter,
        createContext: () => ({ db: busy, log, principal, correlationId: "cor_trpc_busy" }),
        responseMeta: trpcResponseMeta,
      });
      expect(trpc.status).toBe(503);
      expect(trpc.headers.get("retry-after")).toBe("1");
      expect(await trpc.text()).toMatch(/"appCode":"UNAVAILABLE"/);
    } finally {
      release();
      await holder;
      await busy.$disconnect();
    }
  });
});

describe("OpenAPI document", () => {
  it("documents every route with its request schema and error shape", () => {
    const doc = openApiDocument("http://localhost:3000") as {
      paths: Record<string, Record<string, { requestBody?: unknown; responses: Record<string, unknown> }>>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/api/v1/ventures", "/api/v1/ventures/{id}"]),
    );
    const post = doc.paths["/api/v1/ventures"]!.post!;
    expect(JSON.stringify(post.requestBody)).toContain("portfolioId");
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(["201", "400", "401", "403", "409"]));
  });
});

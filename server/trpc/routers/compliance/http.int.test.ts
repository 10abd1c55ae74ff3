// The audit and evidence-pack routes of the HTTP API over the real database: bad input names the
// field and writes nothing, the pack is built and downloaded as bytes, verification answers.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { directoryCopies } from "@/server/contexts/compliance/checkpoint-copies";
import { buildNextEvidencePack } from "@/server/contexts/compliance/evidence-packs";
import { AuditKeyring } from "@/server/contexts/compliance/keyring";
import { signCheckpointIfDue } from "@/server/contexts/compliance/sign-checkpoint";
import { syncKeyring } from "@/server/contexts/compliance/sync-keyring";
import { asSuperuser, sealAll, seedEvents, temporaryDir } from "@/server/contexts/compliance/testing";
import { verifyEvidencePack } from "@/server/contexts/compliance/verify-evidence-pack";
import { authenticateApiToken, createApiToken } from "@/server/contexts/identity/api-tokens";
import { grantMembership } from "@/server/contexts/identity/grant-membership";
import { createLogger } from "@/server/shared/logger";
import { openTestServices, type TestServices } from "@/test/services";
import { type RoleFixture, roleFixture } from "../../fixtures";
import { handleHttpApi } from "../../http-api";
import type { TrpcContext } from "../../init";
import { openApiDocument } from "../../openapi";

let s: TestServices;
let f: RoleFixture;
let dir: string;
let keyring: AuditKeyring;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  s = await openTestServices();
  f = await roleFixture(s.db);
  for (const who of ["founder", "auditor"] as const) {
    tokens[who] = (
      await createApiToken({
        db: s.db,
        actor: { type: "system", id: "test" },
        correlationId: "cor_http",
        email: f.principals[who].email,
        name: "test",
        ttlDays: 1,
      })
    ).token;
  }
  dir = temporaryDir("http");
  keyring = AuditKeyring.open(path.join(dir, "keys"));
  await syncKeyring({ db: s.db, keyring });
  await seedEvents(s.db, { count: 20, portfolioId: f.portfolioId });
  await sealAll(s.db);
  await signCheckpointIfDue({
    db: s.db,
    keyring,
    copies: [directoryCopies(path.join(dir, "checkpoints"))],
    schedule: { everyEvents: 1, everySeconds: 1 },
  });
});
afterAll(async () => {
  await s.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function request(method: string, urlPath: string, token: string | null, body?: unknown) {
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
  const pathOnly = urlPath.split("?")[0]!;
  return handleHttpApi(new Request(`http://test/api/v1${urlPath}`, init), pathOnly, ctx);
}

async function json(method: string, urlPath: string, token: string | null, body?: unknown) {
  const response = await request(method, urlPath, token, body);
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const packCount = async () =>
  Number(
    (await s.db.$queryRawUnsafe<Array<{ n: bigint }>>("SELECT count(*) AS n FROM evidence_packs"))[0]!.n,
  );

describe("POST /api/v1/evidence-packs", () => {
  it("refuses bad input with 400 naming the field, and writes nothing", async () => {
    const before = await packCount();
    const cases: Array<[unknown, string]> = [
      [{ portfolioId: f.portfolioId, to: "2026-08-01" }, "from"],
      [{ portfolioId: f.portfolioId, from: "yesterday", to: "2026-08-01" }, "from"],
      [{ portfolioId: f.portfolioId, from: "2026-08-01", to: "2026-13-45" }, "to"],
      [{ portfolioId: f.portfolioId, from: "2026-08-10", to: "2026-08-01" }, "to"],
      [{ portfolioId: f.portfolioId, from: "2026-08-01", to: "2026-08-01" }, "to"],
      [{ portfolioId: f.portfolioId, from: "2026-08-01", to: "2026-08-02", extra: 1 }, "extra"],
    ];
    for (const [body, field] of cases) {
      const res = await json("POST", "/evidence-packs", tokens.auditor!, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = res.json.error as { code: string; fields?: Record<string, string> };
      expect(error.code).toBe("BAD_REQUEST");
      expect(Object.keys(error.fields ?? {}), JSON.stringify(body)).toContain(field);
    }
    const missing = await json("POST", "/evidence-packs", tokens.auditor!, {
      from: "2026-08-01",
      to: "2026-08-02",
    });
    expect(missing.status).toBe(400);
    expect((missing.json.error as { message: string }).message).toMatch(/portfolioId/);
    expect(await packCount()).toBe(before);
  });

  it("refuses a founder (403) and an anonymous caller (401)", async () => {
    const body = { portfolioId: f.portfolioId, from: "2026-08-01", to: "2026-08-02" };
    expect((await json("POST", "/evidence-packs", tokens.founder!, body)).status).toBe(403);
    expect((await json("POST", "/evidence-packs", null, body)).status).toBe(401);
  });

  it("queues a pack for an auditor, shows its progress, and serves the archive once built", async () => {
    const from = new Date(Date.now() - 90 * 86_400_000).toISOString().slice(0, 10);
    const to = new Date(Date.now() + 86_400_000).toISOString();
    const created = await json("POST", "/evidence-packs", tokens.auditor!, {
      portfolioId: f.portfolioId,
      from,
      to,
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      status: "queued",
      portfolioId: f.portfolioId,
      from: `${from}T00:00:00.000Z`,
    });
    const id = created.json.id as string;
    const queued = await json("GET", `/evidence-packs/${id}?portfolioId=${f.portfolioId}`, tokens.auditor!);
    expect(queued.json).toMatchObject({ id, status: "queued" });
    const early = await json(
      "GET",
      `/evidence-packs/${id}/download?portfolioId=${f.portfolioId}`,
      tokens.auditor!,
    );
    expect(early.status).toBe(409);

    const built = await buildNextEvidencePack({
      db: s.db,
      keyring,
      copies: [directoryCopies(path.join(dir, "checkpoints"))],
      packDir: path.join(dir, "packs"),
    });
    expect(built).toMatchObject({ id, status: "ready" });
    const listed = await json("GET", `/evidence-packs?portfolioId=${f.portfolioId}`, tokens.auditor!);
    expect((listed.json as unknown as Array<{ id: string }>).map((p) => p.id)).toContain(id);

    // The chain is one per deployment: the period also holds the other portfolio's events, so the
    // auditor needs the export permission there too.
    const refused = await json(
      "GET",
      `/evidence-packs/${id}/download?portfolioId=${f.portfolioId}`,
      tokens.auditor!,
    );
    expect(refused.status).toBe(403);
    expect((refused.json.error as { message: string }).message).toMatch(/1 other portfolio/);
    await grantMembership({
      db: s.db,
      actor: { type: "system", id: "test" },
      correlationId: "cor_http",
      userId: f.principals.auditor.userId,
      portfolioId: f.otherPortfolioId,
      role: "auditor",
    });
    const response = await request(
      "GET",
      `/evidence-packs/${id}/download?portfolioId=${f.portfolioId}`,
      tokens.auditor!,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("application/gzip");
    expect(response.headers.get("content-disposition")).toBe(`attachment; filename="${id}.tar.gz"`);
    const bytes = Buffer.from(await response.arrayBuffer());
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(response.headers.get("x-content-sha256"));
    const downloaded = path.join(dir, "downloaded.tar.gz");
    fs.writeFileSync(downloaded, bytes);
    const report = await verifyEvidencePack(downloaded);
    expect(report.failure).toBeNull();
    expect(report.events).toBeGreaterThanOrEqual(20);

    expect(
      (await request("GET", `/evidence-packs/${id}/download?portfolioId=${f.portfolioId}`, tokens.founder!))
        .status,
    ).toBe(403);
  });
});

describe("GET /api/v1/audit", () => {
  it("/audit/keys lists every public key as PEM and JWK with its validity", async () => {
    const res = await json("GET", "/audit/keys", tokens.founder!);
    expect(res.status).toBe(200);
    const [key] = res.json as unknown as Array<Record<string, unknown>>;
    expect(key).toMatchObject({ algorithm: "ed25519", validTo: null, jwk: { kty: "OKP", crv: "Ed25519" } });
    expect(key!.keyId).toBe(keyring.activeKey()!.keyId);
    expect(String(key!.publicKeyPem)).toContain("BEGIN PUBLIC KEY");
  });

  it("/audit/verify answers ok with the events checked, and names the first bad event after tampering", async () => {
    const ok = await json("GET", `/audit/verify?portfolioId=${f.portfolioId}`, tokens.founder!);
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ ok: true, sources: ["database"] });
    expect(ok.json.checkedEvents).toBeGreaterThan(20);
    expect((await json("GET", "/audit/verify", tokens.founder!)).status).toBe(400);

    await asSuperuser(s.databaseUrl, (c) =>
      c
        .query(
          `UPDATE event_log SET envelope = envelope || ' '
            WHERE id = (SELECT event_id FROM event_chain WHERE sequence = 9)`,
        )
        .then(() => {}),
    );
    const bad = await json("GET", `/audit/verify?portfolioId=${f.portfolioId}`, tokens.auditor!);
    expect(bad.status).toBe(200);
    expect(bad.json).toMatchObject({ ok: false, firstBadSequence: 9, reason: "modified" });
  });

  it("documents the routes, the download as application/gzip", () => {
    const doc = openApiDocument("http://test") as {
      paths: Record<
        string,
        Record<string, { responses: Record<string, { content: Record<string, unknown> }> }>
      >;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/audit/keys",
        "/api/v1/audit/verify",
        "/api/v1/evidence-packs",
        "/api/v1/evidence-packs/{id}/download",
      ]),
    );
    expect(
      Object.keys(doc.paths["/api/v1/evidence-packs/{id}/download"]!.get!.responses["200"]!.content),
    ).toEqual(["application/gzip"]);
  });
});

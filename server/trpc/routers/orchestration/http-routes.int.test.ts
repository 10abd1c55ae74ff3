// The orchestration rows of the HTTP API (CTRL-001) over the real database: submit a goal or a DAG,
// follow tasks, pause/resume/cancel by task id; bad input names the field and writes nothing;
// roles and tenants are enforced exactly as for tRPC.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticateApiToken, createApiToken } from "@/server/contexts/identity/api-tokens";
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import { createLogger } from "@/server/shared/logger";
import { openTestServices, type TestServices } from "@/test/services";
import { type RoleFixture, roleFixture } from "../../fixtures";
import { handleHttpApi } from "../../http-api";
import type { TrpcContext } from "../../init";
import { openApiDocument } from "../../openapi";

let s: TestServices;
let f: RoleFixture;
let ventureId: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  s = await openTestServices();
  f = await roleFixture(s.db);
  ventureId = (
    await createVenture({
      db: s.db,
      actor: { type: "system", id: "test" },
      correlationId: "cor_http_orch",
      portfolioId: f.portfolioId,
      name: "Http Tasks",
      goal: null,
    })
  ).id;
  for (const who of ["founder", "auditor", "outsider"] as const) {
    tokens[who] = (
      await createApiToken({
        db: s.db,
        actor: { type: "system", id: "test" },
        correlationId: "cor_http_orch",
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
    correlationId: "cor_http_orch_test",
  };
  const init: RequestInit = { method };
  if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  // Like the route handler: the path without its query string, the query from the URL.
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

async function counts(): Promise<{ events: number; tasks: number }> {
  const [row] = await s.db.$queryRawUnsafe<Array<{ events: number; tasks: number }>>(
    "SELECT (SELECT count(*) FROM event_log)::int AS events, (SELECT count(*) FROM tasks)::int AS tasks",
  );
  return row!;
}

describe("POST /ventures/{id}/goals and /workstreams", () => {
  it("submits a goal as a workstream with a planner task", async () => {
    const res = await request("POST", `/ventures/${ventureId}/goals`, "founder", {
      goal: "Sell solar kits to schools",
    });
    expect(res.status).toBe(201);
    expect(res.json).toMatchObject({
      workstreamId: expect.stringMatching(/^ws_/),
      planTaskId: expect.stringMatching(/^tsk_/),
    });
    const tasks = await request("GET", `/ventures/${ventureId}/tasks`, "auditor");
    expect(tasks.status).toBe(200);
    const plan = (tasks.json as unknown as Array<Record<string, unknown>>).find(
      (t) => t.id === res.json.planTaskId,
    )!;
    // Money travels as strings of digits.
    expect(plan).toMatchObject({ role: "planner", level: "L1", status: "ready", estimatedCostMinor: "0" });
  });

  it("answers 400 naming each bad field and writes nothing", async () => {
    const before = await counts();
    const empty = await request("POST", `/ventures/${ventureId}/goals`, "founder", { goal: "", extra: 1 });
    expect(empty.status).toBe(400);
    expect(empty.json.error).toMatchObject({
      code: "BAD_REQUEST",
      fields: { goal: expect.any(String), extra: "unknown field" },
    });
    const cyclic = await request("POST", `/ventures/${ventureId}/workstreams`, "founder", {
      title: "Cyclic",
      tasks: [
        { key: "a", title: "A", role: "researcher", dependsOn: ["b"] },
        { key: "b", title: "B", role: "researcher", dependsOn: ["a"] },
      ],
    });
    expect(cyclic.status).toBe(400);
    expect(cyclic.json.error).toMatchObject({ fields: { tasks: expect.stringMatching(/cycle/) } });
    const badMoney = await request("POST", `/ventures/${ventureId}/workstreams`, "founder", {
      title: "Money",
      tasks: [{ key: "a", title: "A", role: "researcher", estimatedCostMinor: "12.50" }],
    });
    expect(badMoney.status).toBe(400);
    expect(badMoney.json.error).toMatchObject({
      fields: { "tasks.0.estimatedCostMinor": expect.any(String) },
    });
    expect(await counts()).toEqual(before);
  });

  it("refuses a role that may not submit (403) and another tenant (404)", async () => {
    expect(
      (await request("POST", `/ventures/${ventureId}/goals`, "auditor", { goal: "Nope nope" })).status,
    ).toBe(403);
    expect(
      (await request("POST", `/ventures/${ventureId}/goals`, "outsider", { goal: "Nope nope" })).status,
    ).toBe(404);
  });
});

describe("GET /tasks/{id} and POST /tasks/{id}/pause|resume|cancel", () => {
  it("pauses, resumes and cancels a task by id, with its history", async () => {
    const submitted = await request("POST", `/ventures/${ventureId}/workstreams`, "founder", {
      title: "Controls",
      tasks: [
        { key: "a", title: "A", role: "researcher", estimatedCostMinor: "25" },
        { key: "b", title: "B", role: "copywriter", dependsOn: ["a"] },
      ],
    });
    expect(submitted.status).toBe(201);
    const taskIds = submitted.json.taskIds as Record<string, string>;
    expect((await request("POST", `/tasks/${taskIds.a}/pause`, "founder", { reason: "wait" })).json).toEqual({
      changed: true,
    });
    expect((await request("POST", `/tasks/${taskIds.a}/pause`, "founder")).json).toEqual({ changed: false });
    expect((await request("POST", `/tasks/${taskIds.a}/resume`, "founder", {})).json).toEqual({
      changed: true,
    });
    const cancelled = await request("POST", `/tasks/${taskIds.a}/cancel`, "founder", {
      reason: "not needed",
    });
    expect(cancelled.status).toBe(200);
    expect((cancelled.json.cancelled as string[]).sort()).toEqual([taskIds.a, taskIds.b].sort());
    const detail = await request("GET", `/tasks/${taskIds.a}`, "auditor");
    expect(detail.status).toBe(200);
    expect(detail.json).toMatchObject({ status: "cancelled", estimatedCostMinor: "25" });
    expect((detail.json.history as Array<{ type: string }>).map((h) => h.type)).toEqual([
      "orchestration.task_created",
      "orchestration.task_paused",
      "orchestration.task_resumed",
      "orchestration.task_cancelled",
    ]);
    const filtered = await request("GET", `/ventures/${ventureId}/tasks?status=cancelled`, "founder");
    expect((filtered.json as unknown as Array<{ id: string }>).map((t) => t.id).sort()).toEqual(
      [taskIds.a, taskIds.b].sort(),
    );
  });

  it("answers 403 to a role that may not control, 404 to another tenant and for an unknown task", async () => {
    const submitted = await request("POST", `/ventures/${ventureId}/workstreams`, "founder", {
      title: "Guarded",
      tasks: [{ key: "a", title: "A", role: "researcher" }],
    });
    const id = (submitted.json.taskIds as Record<string, string>).a!;
    expect((await request("POST", `/tasks/${id}/pause`, "auditor")).status).toBe(403);
    expect((await request("POST", `/tasks/${id}/pause`, "outsider")).status).toBe(404);
    expect((await request("GET", `/tasks/${id}`, "outsider")).status).toBe(404);
    expect((await request("POST", "/tasks/tsk_unknown/cancel", "founder")).status).toBe(404);
    const bad = await request("POST", `/tasks/${id}/pause`, "founder", { reason: "x".repeat(600) });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatchObject({ fields: { reason: expect.any(String) } });
  });
});

describe("OpenAPI", () => {
  it("documents the task routes", () => {
    const doc = openApiDocument("http://localhost:3000") as {
      paths: Record<string, Record<string, unknown>>;
    };
    for (const path of [
      "/api/v1/ventures/{id}/goals",
      "/api/v1/ventures/{id}/tasks",
      "/api/v1/tasks/{id}/pause",
      "/api/v1/tasks/{id}/resume",
      "/api/v1/tasks/{id}/cancel",
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect(JSON.stringify(doc.paths["/api/v1/ventures/{id}/goals"])).toContain("goal");
  });
});

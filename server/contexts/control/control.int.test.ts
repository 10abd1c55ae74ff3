// The kill-switch use-cases against the real PostgreSQL, NATS and Redis: pause and resume as
// events and a projection, the fan-out, assertNotPaused inside a caller's transaction and its
// serialization against a concurrent pause, and bad input refused naming the field.
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { withTransaction } from "@/server/shared/db";
import { loadEnv } from "@/server/shared/env";
import { AppError } from "@/server/shared/errors";
import { createRedis } from "@/server/shared/redis";
import { type RoleFixture, roleFixture } from "@/server/trpc/fixtures";
import { handleHttpApi } from "@/server/trpc/http-api";
import { openTestServices, type TestServices } from "@/test/services";
import {
  assertNotPaused,
  type ControlFanout,
  controlNames,
  createControlFanout,
  getControlState,
  lockControlState,
  parseAnnouncement,
  pause,
  resume,
} from "./api";

let s: TestServices;
let f: RoleFixture;
let fanout: ControlFanout;
const actor = { type: "user" as const, id: "usr_test" };

function change(reason: string) {
  return { db: s.db, actor, actorName: "Ada Operator", correlationId: "cor_control", reason, fanout };
}

async function controlEventTypes(): Promise<string[]> {
  const rows = await s.db.$queryRawUnsafe<Array<{ type: string }>>(
    "SELECT type FROM event_log WHERE stream_type = 'control' ORDER BY stream_version",
  );
  return rows.map((r) => r.type);
}

/** A promise the test resolves by hand, to hold a transaction open at a chosen point. */
function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const settledWithin = async (promise: Promise<unknown>, ms: number) =>
  Promise.race([
    promise.then(
      () => true,
      () => true,
    ),
    new Promise((r) => setTimeout(() => r(false), ms)),
  ]);

beforeAll(async () => {
  s = await openTestServices();
  f = await roleFixture(s.db);
  fanout = createControlFanout({ namespace: s.namespace, nc: s.nc, redis: s.redis });
});
afterAll(async () => {
  // The tRPC procedures announce through the process's fan-out (the environment's namespace):
  // remove the hint they left about this test's database.
  const processRedis = createRedis(s.env.REDIS_URL, loadEnv().VENTURE_NAMESPACE);
  await processRedis.del(controlNames("").redisKey(new URL(s.databaseUrl).pathname.slice(1))).catch(() => {});
  processRedis.disconnect();
  await s.close();
});
beforeEach(async () => {
  // Every test starts from `running`.
  await resume(change("test reset"));
});

describe("pause and resume", () => {
  it("records control.paused, projects it, announces it on NATS and Redis, and is idempotent", async () => {
    const names = controlNames(s.namespace);
    const heard: string[] = [];
    const sub = s.nc.subscribe(names.stateSubject, {
      callback: (_e, msg) => {
        heard.push(msg.string());
      },
    });
    await s.nc.flush();
    const before = await getControlState({ db: s.db });

    const result = await pause(change("supplier incident"));

    expect(result.changed).toBe(true);
    expect(result.fanout).toEqual({ nats: "ok", redis: "ok" });
    expect(result.state).toMatchObject({
      state: "paused",
      epoch: before.epoch + 1,
      reason: "supplier incident",
      by: { type: "user", id: "usr_test", name: "Ada Operator" },
    });
    expect(await getControlState({ db: s.db })).toEqual(result.state);
    expect((await controlEventTypes()).at(-1)).toBe("control.paused");
    const dbName = new URL(s.databaseUrl).pathname.slice(1);
    await expect.poll(() => heard.length).toBe(1);
    expect(parseAnnouncement(heard[0]!)).toMatchObject({
      source: dbName,
      state: "paused",
      epoch: before.epoch + 1,
    });
    expect(parseAnnouncement(await s.redis.get(names.redisKey(dbName)))).toMatchObject({ state: "paused" });

    // A second pause changes nothing and records nothing.
    const events = (await controlEventTypes()).length;
    const again = await pause(change("pressed twice"));
    expect(again.changed).toBe(false);
    expect(again.state.reason).toBe("supplier incident");
    expect((await controlEventTypes()).length).toBe(events);
    sub.unsubscribe();
  });

  it("refuses a missing or blank reason with BAD_REQUEST naming the field, and writes nothing", async () => {
    const before = await getControlState({ db: s.db });
    const events = (await controlEventTypes()).length;
    for (const reason of ["", "  ", "x"]) {
      const error = await pause(change(reason)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe("BAD_REQUEST");
      expect((error as AppError).details.fields?.reason).toMatch(/reason|characters/);
    }
    expect(await getControlState({ db: s.db })).toEqual(before);
    expect((await controlEventTypes()).length).toBe(events);
  });

  it("resumes with a reason, as a new event and epoch", async () => {
    const paused = await pause(change("drill"));
    const resumed = await resume(change("drill over"));
    expect(resumed).toMatchObject({
      changed: true,
      state: { state: "running", epoch: paused.state.epoch + 1 },
    });
    expect((await controlEventTypes()).slice(-2)).toEqual(["control.paused", "control.resumed"]);
  });
});

describe("assertNotPaused", () => {
  it("passes while running and refuses inside the transaction while paused, naming who, since when and why", async () => {
    await withTransaction(s.db, (tx) => assertNotPaused(tx, "Approving intent int_1"));
    const { state } = await pause(change("card fraud suspected"));
    const error = await withTransaction(s.db, (tx) => assertNotPaused(tx, "Approving intent int_1")).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("UNPROCESSABLE");
    expect((error as AppError).message).toBe(
      `Approving intent int_1 is refused: Paused by Ada Operator since ${state.since.toISOString()}: card fraud suspected`,
    );
  });

  it("a pause waits for an operation that already passed the check, and the next operation is refused", async () => {
    const inside = deferred();
    const release = deferred();
    const operation = withTransaction(s.db, async (tx) => {
      await assertNotPaused(tx);
      inside.resolve();
      // The operation's own work (approving an intent, recording a tool call) happens here.
      await release.promise;
      return "approved";
    });
    await inside.promise;
    const pausing = pause(change("mid-operation pause"));
    // The pause cannot commit while the operation holds the row FOR SHARE...
    expect(await settledWithin(pausing, 400)).toBe(false);
    expect((await getControlState({ db: s.db })).state).toBe("running");
    // ...so the operation commits first, before the pause, and is allowed.
    release.resolve();
    await expect(operation).resolves.toBe("approved");
    await expect(pausing).resolves.toMatchObject({ changed: true, state: { state: "paused" } });
    await expect(withTransaction(s.db, (tx) => assertNotPaused(tx))).rejects.toMatchObject({
      code: "UNPROCESSABLE",
    });
  });

  it("an operation that starts while a pause is committing waits for it and is refused", async () => {
    // Hold a pause mid-transaction the way pause() takes it: the row locked FOR UPDATE and updated.
    const pauser = deferred();
    const locked = deferred();
    const pausing = withTransaction(s.db, async (tx) => {
      await tx.$queryRawUnsafe("SELECT 1 FROM control_state WHERE scope = 'global' FOR UPDATE");
      await tx.$executeRawUnsafe(
        `UPDATE control_state SET state = 'paused', epoch = epoch + 1, since = now(), reason = 'held pause',
                by_name = 'Ada Operator', updated_at = now() WHERE scope = 'global'`,
      );
      locked.resolve();
      await pauser.promise;
    });
    await locked.promise;
    const operation = withTransaction(s.db, async (tx) => {
      await assertNotPaused(tx);
      return "approved";
    });
    // It reads the row FOR SHARE, so it waits instead of reading the old `running`.
    expect(await settledWithin(operation, 400)).toBe(false);
    pauser.resolve();
    await pausing;
    await expect(operation).rejects.toMatchObject({ code: "UNPROCESSABLE" });
  });

  it("many operations racing one pause: none commits after the pause without seeing it", async () => {
    await s.db.$executeRawUnsafe(
      "CREATE TABLE IF NOT EXISTS kill_probe (id serial PRIMARY KEY, epoch int NOT NULL)",
    );
    const before = await getControlState({ db: s.db });
    const outcomes: Array<"approved" | "refused"> = [];
    const operations = Array.from({ length: 30 }, (_, i) =>
      (async () => {
        await new Promise((r) => setTimeout(r, (i % 10) * 15));
        try {
          await withTransaction(s.db, async (tx) => {
            const state = await lockControlState(tx);
            if (state.state === "paused") throw new AppError("UNPROCESSABLE", "paused");
            await tx.$executeRawUnsafe("INSERT INTO kill_probe (epoch) VALUES ($1)", state.epoch);
            await new Promise((r) => setTimeout(r, 10));
          });
          outcomes.push("approved");
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          outcomes.push("refused");
        }
      })(),
    );
    await new Promise((r) => setTimeout(r, 60));
    const { state } = await pause(change("racing pause"));
    // Anything that starts after pause() returned is refused.
    const late = await withTransaction(s.db, (tx) => assertNotPaused(tx)).catch((e: unknown) => e);
    expect(late).toMatchObject({ code: "UNPROCESSABLE" });
    await Promise.all(operations);
    // Every approved operation saw the epoch before the pause: none slipped in under the new one.
    const epochs = await s.db.$queryRawUnsafe<Array<{ epoch: number }>>(
      "SELECT DISTINCT epoch FROM kill_probe",
    );
    expect(epochs.map((r) => r.epoch)).toEqual([before.epoch]);
    expect(state.epoch).toBe(before.epoch + 1);
    expect(outcomes.filter((o) => o === "approved").length).toBe(
      Number(
        (await s.db.$queryRawUnsafe<Array<{ n: bigint }>>("SELECT count(*) AS n FROM kill_probe"))[0]!.n,
      ),
    );
    expect(outcomes).toHaveLength(30);
  });

  it("a pause is not starved by guarded operations that keep arriving: it waits only for those already running", async () => {
    // Eight callers back to back, each holding the guard for 40 ms, so that some guarded transaction
    // is always open (as money intents are under load) until the deadline: 4 s.
    const deadline = Date.now() + 4_000;
    let afterPause = 0;
    const callers = Array.from({ length: 8 }, async (_, i) => {
      await new Promise((r) => setTimeout(r, i * 10));
      while (Date.now() < deadline) {
        await withTransaction(s.db, async (tx) => {
          await assertNotPaused(tx);
          await tx.$executeRawUnsafe("SELECT pg_sleep(0.04)");
        }).catch((error: unknown) => {
          if (!(error instanceof AppError)) throw error;
          afterPause += 1;
        });
      }
    });
    await new Promise((r) => setTimeout(r, 300));
    const started = performance.now();
    const { state } = await pause(change("pause under a steady stream"));
    const tookMs = performance.now() - started;
    expect(state.state).toBe("paused");
    // A row lock alone waited for the whole stream (3.7 s of it, measured); now the pause waits for
    // the transactions open when it asked (~80 ms), and those that come after it are refused.
    expect(tookMs).toBeLessThan(1_500);
    await Promise.all(callers);
    expect(afterPause).toBeGreaterThan(0);
  });
});

describe("through tRPC and the HTTP API", () => {
  async function trpc(
    as: Parameters<RoleFixture["caller"]>[0],
    fn: (c: ReturnType<RoleFixture["caller"]>) => Promise<unknown>,
  ) {
    try {
      await fn(f.caller(as));
      return "ok";
    } catch (error) {
      if (error instanceof TRPCError) return { code: error.code, message: error.message, cause: error.cause };
      throw error;
    }
  }

  it("an auditor may not resume; a founder without a reason is refused naming the field; nothing is written", async () => {
    await pause(change("audit drill"));
    const before = await getControlState({ db: s.db });
    const events = (await controlEventTypes()).length;
    expect(await trpc("auditor", (c) => c.control.resume({ reason: "I am curious" }))).toMatchObject({
      code: "FORBIDDEN",
    });
    expect(await trpc("finance_controller", (c) => c.control.pause({ reason: "no" }))).toMatchObject({
      code: "FORBIDDEN",
    });
    const missing = await trpc("founder", (c) => c.control.resume({} as { reason: string }));
    expect(missing).toMatchObject({ code: "BAD_REQUEST", message: expect.stringContaining("reason") });
    expect(await getControlState({ db: s.db })).toEqual(before);
    expect((await controlEventTypes()).length).toBe(events);
    expect(await trpc("admin", (c) => c.control.resume({ reason: "drill over" }))).toBe("ok");
    expect((await getControlState({ db: s.db })).state).toBe("running");
  });

  it("getState says what the viewer may do", async () => {
    const auditor = await f.caller("auditor").control.getState();
    expect(auditor.viewer).toEqual({ mayPause: false, mayResume: false });
    const founder = await f.caller("founder").control.getState();
    expect(founder.viewer).toEqual({ mayPause: true, mayResume: true });
    expect(founder.state.state).toBe("running");
  });

  async function http(method: string, path: string, body?: unknown) {
    const init: RequestInit = { method };
    if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
    const response = await handleHttpApi(
      new Request(`http://test/api/v1${path}`, init),
      path,
      f.ctx("founder"),
    );
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  }

  it("POST /api/v1/control/pause without a reason answers 400 naming the field and writes nothing", async () => {
    const events = (await controlEventTypes()).length;
    for (const body of [{}, { reason: "" }, { reason: 42 }]) {
      const res = await http("POST", "/control/pause", body);
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({
        error: { code: "BAD_REQUEST", fields: { reason: expect.any(String) } },
      });
    }
    expect((await controlEventTypes()).length).toBe(events);
    expect((await getControlState({ db: s.db })).state).toBe("running");
  });

  it("GET /api/v1/control, then pause and resume over HTTP", async () => {
    expect(await http("GET", "/control")).toMatchObject({ status: 200, json: { state: "running" } });
    const paused = await http("POST", "/control/pause", { reason: "HTTP drill" });
    expect(paused).toMatchObject({
      status: 200,
      json: { changed: true, state: { state: "paused", reason: "HTTP drill" } },
    });
    expect(await http("GET", "/control")).toMatchObject({ status: 200, json: { state: "paused" } });
    const resumed = await http("POST", "/control/resume", { reason: "HTTP drill over" });
    expect(resumed).toMatchObject({ status: 200, json: { state: { state: "running" } } });
  });
});

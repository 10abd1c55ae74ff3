// Fail-closed (CTRL-003, ADR 0007) with real worker processes against PRIVATE Redis and NATS
// servers this test starts on ports of its own, so it can stop and restart them while the shared
// services stay up for everything else. control-gate.int.test.ts covers a gate that cannot reach
// Redis or NATS from the start and a lease that cannot be renewed; this file covers what happens to
// the real orchestrator, agent runtime and outbox relay (runWorker, heartbeats, JetStream consumers)
// when the services go away in the middle of a run and come back:
//
//   Redis stops          → every worker's gate closes within the lease time; nothing is dispatched
//   Redis restarts       → the gates reopen by themselves and the run continues
//   Redis, then NATS stop → gates closed; a pause recorded now cannot be announced, yet treasury
//                          refuses at once (it reads PostgreSQL) and every worker confirms the pause
//                          through its lease
//   both restart         → still paused: gates stay closed until an explicit resume
//   resume               → the run finishes, every task done exactly once
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OpenedControlFanout, openControlFanout, pause, resume } from "@/server/contexts/control/api";
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import { submitWorkstream } from "@/server/contexts/orchestration/submit-workstream";
import { eventually, readyVenture } from "@/server/contexts/orchestration/testing/fixtures";
import type { PolicyPrincipal } from "@/server/contexts/policy/api";
import { allowCounterparty, approveIntent, createIntent } from "@/server/contexts/treasury/intents/api";
import { fundVenture } from "@/server/contexts/treasury/intents/testing";
import { createDb, type Db } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import { type RoleFixture, roleFixture } from "@/server/trpc/fixtures";
import { type PrivateServer, startPrivateNats, startPrivateRedis } from "@/test/private-services";
import { createTestDatabase } from "@/test/services";
import { WorkerProcess } from "@/test/worker-processes";
import { defaultLeaseRenewMs, defaultLeaseTtlMs } from "./control-gate";

const workerNames = ["outbox-relay", "orchestrator", "agent-runtime"] as const;
const heartbeatMs = 200;
/** How late a heartbeat can report a gate that closed: one beat, plus reading it. */
const observeSlackMs = heartbeatMs * 2 + 300;

let redis: PrivateServer;
let nats: PrivateServer;
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;
let f: RoleFixture;
let fanout: OpenedControlFanout;
const namespace = `t${Math.random()
  .toString(36)
  .slice(2, 10)
  .replace(/[^a-z0-9]/g, "a")}`;
const output: string[] = [];
const workers = workerNames.map(
  (name) =>
    new WorkerProcess(name, {
      env: () => ({
        DATABASE_URL: database.url,
        NATS_URL: nats.url,
        REDIS_URL: redis.url,
        VENTURE_NAMESPACE: namespace,
        WORKER_HEARTBEAT_MS: String(heartbeatMs),
        LOG_LEVEL: "warn",
      }),
      onOutput(chunk) {
        output.push(...chunk.split("\n").filter(Boolean));
        if (output.length > 400) output.splice(0, output.length - 400);
      },
      // stop() ends the L3 subprocesses a worker started with it.
      processGroup: true,
    }),
);

/** Each worker's gate as its newest live instance reports it in its heartbeat (1 open, 0 closed). */
async function gates(): Promise<Record<string, number | null>> {
  const rows = await db.$queryRawUnsafe<Array<{ worker: string; open: number | null }>>(
    `SELECT DISTINCT ON (worker) worker, (stats->>'gateOpen')::int AS open FROM worker_heartbeats
      WHERE beat_at > now() - interval '1 second' ORDER BY worker, beat_at DESC`,
  );
  return Object.fromEntries(
    workerNames.map((name) => [name, rows.find((r) => r.worker === name)?.open ?? null]),
  );
}

const allAre = async (value: number) => Object.values(await gates()).every((open) => open === value);

async function count(sql: string, ...params: unknown[]): Promise<number> {
  const [row] = await db.$queryRawUnsafe<Array<{ n: number }>>(sql, ...params);
  return row?.n ?? 0;
}

const dispatched = (workstreamId: string) =>
  count(
    `SELECT count(*)::int AS n FROM event_log WHERE type = 'orchestration.task_dispatched'
       AND stream_id IN (SELECT id FROM tasks WHERE workstream_id = $1)`,
    workstreamId,
  );

async function statuses(workstreamId: string): Promise<string[]> {
  const rows = await db.$queryRawUnsafe<Array<{ key: string; status: string }>>(
    "SELECT key, status FROM tasks WHERE workstream_id = $1 ORDER BY key",
    workstreamId,
  );
  return rows.map((r) => `${r.key}:${r.status}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  [redis, nats] = await Promise.all([startPrivateRedis(), startPrivateNats()]);
  database = await createTestDatabase();
  db = createDb(database.url, { poolMax: 10 });
  f = await roleFixture(db);
  fanout = openControlFanout({
    natsUrl: nats.url,
    redisUrl: redis.url,
    namespace,
    clientName: `${namespace}:test:control`,
  });
  for (const worker of workers) worker.start();
  await eventually(() => allAre(1), 90_000, "every worker running with its gate open");
}, 120_000);

afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await fanout?.close();
  await db?.$disconnect();
  await database?.drop();
  await redis?.dispose();
  await nats?.dispose();
  await fs.rm(path.join(os.tmpdir(), `venture-${namespace}-s4-started`), { force: true });
}, 60_000);

describe("fail-closed with Redis and NATS going away mid-run", () => {
  it("pauses within the lease time, refuses money while paused, and resumes with nothing done twice", async () => {
    try {
      const ventureId = await readyVenture(db, f.portfolioId, { budgetMinor: 1_000_000n });
      // Money: a venture funded for intents, and one intent already waiting for approval.
      const moneyVenture = (
        await createVenture({
          db,
          actor: { type: "system", id: "test" },
          correlationId: "cor_fail_closed",
          portfolioId: f.portfolioId,
          name: "Money venture",
          goal: null,
        })
      ).id;
      await fundVenture(db, f.portfolioId, moneyVenture, 10_000_000n);
      await allowCounterparty({ db, ventureId: moneyVenture, counterpartyId: "acme" });
      const founder: PolicyPrincipal = {
        kind: "user",
        userId: f.principals.founder.userId,
        portfolioId: f.portfolioId,
        portfolioRole: "founder",
      };
      const ask = (key: string) =>
        createIntent({
          db,
          actor: { type: "user", id: founder.userId },
          correlationId: "cor_fail_closed",
          requester: founder,
          input: {
            portfolioId: f.portfolioId,
            ventureId: moneyVenture,
            amountMinor: "60000",
            currency: "USD",
            counterparty: "acme",
            category: "model_inference",
            purpose: "Fail-closed test",
            idempotencyKey: key,
          },
        });
      const waiting = await ask("fail-closed-before");
      expect(waiting.status).toBe("pending_approval");

      // A run: a chain of L3 steps, each a subprocess that takes a second, except that the first
      // attempt of s4 takes long enough to still be running when the pause reaches the workers
      // during the outage (so that it is certainly interrupted; its rerun takes a second).
      const keys = ["s1", "s2", "s3", "s4", "s5", "s6"];
      const s4FirstAttempt = path.join(os.tmpdir(), `venture-${namespace}-s4-started`);
      const script = (key: string) =>
        key === "s4"
          ? `if [ -e ${s4FirstAttempt} ]; then sleep 1; else touch ${s4FirstAttempt}; sleep 15; fi; echo ${key}`
          : `sleep 1; echo ${key}`;
      const run = await submitWorkstream({
        db,
        actor: { type: "user", id: founder.userId },
        correlationId: "cor_fail_closed",
        ventureId,
        title: "Fail-closed run",
        tasks: keys.map((key, i) => ({
          key,
          title: `Step ${key}`,
          role: "worker",
          level: "L3" as const,
          inputs: { program: "sh", script: script(key) },
          ...(i > 0 ? { dependsOn: [keys[i - 1]!] } : {}),
        })),
      });
      await eventually(
        async () => (await statuses(run.workstreamId)).includes("s1:succeeded"),
        30_000,
        "s1 done",
      );

      // --- Redis stops: every gate closes within the lease time, nothing more is dispatched.
      let stoppedAt = Date.now();
      await redis.stop();
      await eventually(
        () => allAre(0),
        defaultLeaseTtlMs + observeSlackMs,
        "gates closed after Redis stopped",
      );
      expect(Date.now() - stoppedAt).toBeLessThanOrEqual(defaultLeaseTtlMs + observeSlackMs);
      // What was running may finish (the lease still says running); nothing new starts.
      await eventually(
        async () => !(await statuses(run.workstreamId)).some((s) => s.endsWith(":running")),
        15_000,
        "the running step finished",
      );
      const frozenAt = await dispatched(run.workstreamId);
      const frozenStatuses = await statuses(run.workstreamId);
      await sleep(2_500);
      expect(await dispatched(run.workstreamId)).toBe(frozenAt);
      expect(await statuses(run.workstreamId)).toEqual(frozenStatuses);
      // Work is waiting for the gates: a step ready to dispatch, or dispatched and not started.
      expect(frozenStatuses.filter((s) => /:(ready|dispatched)$/.test(s))).not.toHaveLength(0);

      // --- Redis restarts: the gates reopen by themselves and the run moves on.
      await redis.start();
      await eventually(
        () => allAre(1),
        defaultLeaseTtlMs + defaultLeaseRenewMs * 2,
        "gates reopened after Redis",
      );
      await eventually(async () => (await dispatched(run.workstreamId)) > frozenAt, 15_000, "dispatch again");

      // --- Redis, then NATS stop, mid-run: while s4's long first attempt runs.
      await eventually(
        async () => (await statuses(run.workstreamId)).includes("s4:running"),
        20_000,
        "s4 running",
      );
      stoppedAt = Date.now();
      await redis.stop();
      await nats.stop();
      await eventually(
        () => allAre(0),
        defaultLeaseTtlMs + observeSlackMs,
        "gates closed after Redis and NATS",
      );
      expect(Date.now() - stoppedAt).toBeLessThanOrEqual(defaultLeaseTtlMs + observeSlackMs + 1_000);

      // A pause now cannot be announced, but it is recorded in PostgreSQL...
      const control = {
        db,
        actor: { type: "user" as const, id: f.principals.admin.userId },
        actorName: "Admin",
        correlationId: "cor_fail_closed",
        reason: "services down during an incident",
        fanout,
      };
      const paused = await pause(control);
      expect(paused.changed).toBe(true);
      expect(paused.fanout).toEqual({ nats: "failed", redis: "failed" });
      // ...so treasury refuses at once: new intents are denied, waiting ones cannot be approved.
      const denied = await ask("fail-closed-during");
      expect(denied.status).toBe("denied");
      expect(denied.reasons.join(" ")).toMatch(/kill-switch/i);
      const approval = await approveIntent({
        db,
        actor: { type: "user", id: f.principals.finance_controller.userId },
        correlationId: "cor_fail_closed",
        portfolioId: f.portfolioId,
        intentId: waiting.id,
        note: "during the outage",
        decider: { userId: f.principals.finance_controller.userId, role: "finance_controller" },
      }).catch((error: unknown) => error);
      expect(approval).toBeInstanceOf(AppError);
      expect((approval as AppError).code).toBe("UNPROCESSABLE");
      expect((approval as AppError).message).toMatch(/paused/i);
      // ...and every live worker instance learns it from its lease, stops what ran, and confirms
      // in PostgreSQL, with NATS and Redis still down.
      const instances = await db.$queryRawUnsafe<Array<{ instance_id: string }>>(
        `SELECT DISTINCT ON (worker) instance_id FROM worker_heartbeats
          WHERE beat_at > now() - interval '1 second' ORDER BY worker, beat_at DESC`,
      );
      expect(instances).toHaveLength(workerNames.length);
      await eventually(
        async () =>
          (await count(
            "SELECT count(*)::int AS n FROM control_confirmations WHERE epoch = $1 AND instance_id = ANY($2::text[])",
            paused.state.epoch,
            instances.map((i) => i.instance_id),
          )) === workerNames.length,
        defaultLeaseRenewMs * 3 + observeSlackMs,
        "every worker confirmed the pause",
      );
      await eventually(
        async () => !(await statuses(run.workstreamId)).some((s) => s.endsWith(":running")),
        10_000,
        "the running step stopped",
      );

      // --- Both come back: still paused, so the gates stay closed until someone resumes.
      await Promise.all([redis.start(), nats.start()]);
      await sleep(defaultLeaseTtlMs);
      expect(await gates()).toEqual({ "outbox-relay": 0, orchestrator: 0, "agent-runtime": 0 });
      const beforeResume = await dispatched(run.workstreamId);
      await sleep(1_000);
      expect(await dispatched(run.workstreamId)).toBe(beforeResume);

      const resumed = await resume({ ...control, reason: "services back" });
      expect(resumed.changed).toBe(true);
      await eventually(
        () => allAre(1),
        defaultLeaseTtlMs + defaultLeaseRenewMs * 2,
        "gates reopened on resume",
      );

      // The run finishes, every step done exactly once.
      await eventually(
        async () => (await statuses(run.workstreamId)).every((s) => s.endsWith(":succeeded")),
        60_000,
        "the run finished",
      );
      const perTask = await db.$queryRawUnsafe<
        Array<{
          key: string;
          attempt: number;
          succeeded: number;
          completed: number;
          aborted: number;
          failed: number;
        }>
      >(
        `SELECT t.key, t.attempt,
                (SELECT count(*)::int FROM event_log e WHERE e.type = 'orchestration.task_succeeded' AND e.stream_id = t.id) AS succeeded,
                (SELECT count(*)::int FROM event_log e WHERE e.type = 'agents.process_exited'
                   AND e.envelope::jsonb->'payload'->>'taskId' = t.id
                   AND e.envelope::jsonb->'payload'->>'outcome' = 'ok') AS completed,
                (SELECT count(*)::int FROM event_log e WHERE e.type = 'orchestration.task_run_aborted' AND e.stream_id = t.id) AS aborted,
                (SELECT count(*)::int FROM event_log e WHERE e.type = 'orchestration.task_attempt_failed' AND e.stream_id = t.id) AS failed
           FROM tasks t WHERE t.workstream_id = $1 ORDER BY t.key`,
        run.workstreamId,
      );
      expect(perTask.map((t) => `${t.key}: ${t.succeeded}/${t.completed}`)).toEqual(
        keys.map((k) => `${k}: 1/1`),
      );
      // The step stopped by the pause ran again without its stopped attempt counting: attempts
      // count only failures (under load a lease can lapse during the outage and fail one, which
      // the retry policy then runs again), never aborts.
      // s4 was interrupted mid-run (aborted by the pause, or failed when its lease lapsed).
      const s4 = perTask.find((t) => t.key === "s4")!;
      expect(s4.aborted + s4.failed, JSON.stringify(perTask)).toBeGreaterThan(0);
      expect(perTask.map((t) => `${t.key}: ${t.attempt}`)).toEqual(
        perTask.map((t) => `${t.key}: ${1 + t.failed}`),
      );
    } catch (error) {
      throw new Error(
        `${(error as Error).message}\n--- worker output (last lines) ---\n${output.slice(-60).join("\n")}\n--- redis ---\n${redis.output().slice(-500)}\n--- nats ---\n${nats.output().slice(-1500)}`,
        { cause: error },
      );
    }
  }, 240_000);
});

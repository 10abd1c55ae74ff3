// A goal run end to end against the real PostgreSQL, NATS JetStream and ledger, with the relay,
// the orchestrator's scheduler and the agent runtime's consumers started in-process: the L1 planner
// turns the goal into a DAG, specialists run it (in parallel where the DAG allows), every model
// call is metered through ledger holds, results land in venture memory.
import { jetstream } from "@nats-io/jetstream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { searchMemory } from "@/server/contexts/agents/memory/venture-memory";
import { submitGoal } from "@/server/contexts/orchestration/submit-goal";
import { submitWorkstream } from "@/server/contexts/orchestration/submit-workstream";
import {
  eventually,
  portfolioWithPolicies,
  readyVenture,
  systemActor,
  taskStatuses,
} from "@/server/contexts/orchestration/testing/fixtures";
import { openTestServices, type TestServices } from "@/test/services";
import type { Stoppable } from "../_runtime/worker";
import { type AgentRuntime, startAgentRuntime } from "../agent-runtime/runtime";
import { startOutboxRelay } from "../outbox-relay/relay";
import { startScheduler } from "./scheduler";

let s: TestServices;
let relay: Stoppable;
let scheduler: Stoppable;
let agents: AgentRuntime;
let portfolioId: string;

beforeAll(async () => {
  s = await openTestServices();
  relay = await startOutboxRelay(s, { pollMs: 100 });
  scheduler = await startScheduler(s, {
    tickMs: 100,
    sweepMs: 200,
    globalConcurrency: 16,
    dispatchTimeoutMs: 30_000,
  });
  agents = await startAgentRuntime(s, { leaseMs: 3_000, providers: { builtin: { latencyMs: 30 } } });
  portfolioId = await portfolioWithPolicies(s.db);
}, 60_000);

afterAll(async () => {
  await agents?.stop();
  await scheduler?.stop();
  await relay?.stop();
  await s?.close();
});

async function count(sql: string, ...params: unknown[]): Promise<number> {
  const [row] = await s.db.$queryRawUnsafe<Array<{ n: bigint | number }>>(sql, ...params);
  return Number(row?.n ?? 0);
}

describe("a goal, end to end with the built-in provider", () => {
  it("plans a DAG, runs every task once, meters every call and remembers the results", async () => {
    const ventureId = await readyVenture(s.db, portfolioId, { name: "Solar Kits", budgetMinor: 50_000n });
    const submitted = await submitGoal({
      db: s.db,
      actor: systemActor,
      correlationId: "cor_goal_e2e",
      ventureId,
      goal: "Sell solar kits to schools",
    });
    const done = await eventually(
      async () => {
        const [w] = await s.db.$queryRawUnsafe<Array<{ status: string }>>(
          "SELECT status FROM workstreams WHERE id = $1",
          submitted.workstreamId,
        );
        return w?.status === "completed";
      },
      45_000,
      "workstream completed",
    );
    expect(done).toBe(true);
    const statuses = await taskStatuses(s.db, submitted.workstreamId);
    // The planner plus the five planned tasks, all succeeded.
    expect(Object.keys(statuses).sort()).toEqual(["copy", "design", "launch", "plan", "pricing", "research"]);
    expect(Object.values(statuses).every((status) => status === "succeeded")).toBe(true);

    // Exactly one success per task.
    const perTask = await s.db.$queryRawUnsafe<Array<{ stream_id: string; n: number }>>(
      `SELECT stream_id, count(*)::int AS n FROM event_log WHERE type = 'orchestration.task_succeeded'
        AND stream_id IN (SELECT id FROM tasks WHERE workstream_id = $1) GROUP BY stream_id`,
      submitted.workstreamId,
    );
    expect(perTask).toHaveLength(6);
    expect(perTask.every((row) => row.n === 1)).toBe(true);

    // Dependencies were respected: nothing started before all its dependencies finished.
    const violations = await count(
      `SELECT count(*) AS n FROM task_dependencies d
         JOIN tasks t ON t.id = d.task_id JOIN tasks dep ON dep.id = d.depends_on_id
        WHERE t.workstream_id = $1 AND t.started_at < dep.finished_at`,
      submitted.workstreamId,
    );
    expect(violations).toBe(0);

    // Every model call was metered: a hold, then exactly its cost posted, nothing left held.
    const calls = await s.db.$queryRawUnsafe<Array<{ status: string; cost: bigint; hold_id: string }>>(
      "SELECT status, cost_minor AS cost, hold_id FROM agent_model_calls WHERE venture_id = $1",
      ventureId,
    );
    expect(calls.length).toBeGreaterThanOrEqual(6);
    expect(calls.every((c) => c.status === "ok")).toBe(true);
    const charged = calls.reduce((sum, c) => sum + c.cost, 0n);
    const [expense] = await s.db.$queryRawUnsafe<Array<{ debits: bigint; pending: bigint }>>(
      "SELECT debits_posted AS debits, debits_pending AS pending FROM ledger_accounts WHERE id = $1",
      `${ventureId}:expense:models:USD`,
    );
    expect(expense!.debits).toBe(charged);
    expect(expense!.pending).toBe(0n);
    // Per task, the cost the task reports is the sum of its calls.
    const mismatched = await count(
      `SELECT count(*) AS n FROM tasks t WHERE t.workstream_id = $1 AND t.cost_minor <>
         coalesce((SELECT sum(cost_minor) FROM agent_model_calls c WHERE c.task_id = t.id), 0)`,
      submitted.workstreamId,
    );
    expect(mismatched).toBe(0);

    // Tool calls went through the gateway with a recorded permit before running.
    const allowed = await count(
      "SELECT count(*) AS n FROM event_log WHERE type = 'agents.tool_call_allowed' AND correlation_id = 'cor_goal_e2e'",
    );
    expect(allowed).toBeGreaterThan(0);

    // Results are in venture memory and searchable.
    await eventually(
      async () => (await searchMemory(s.db, { ventureId, query: "market research" })).length > 0,
      10_000,
      "memory",
    );
  }, 60_000);

  it("runs the ready tasks of a DAG in parallel", async () => {
    const ventureId = await readyVenture(s.db, portfolioId, { budgetMinor: 50_000n });
    const fanOut = ["a", "b", "c", "d"].map((key) => ({
      key,
      title: `Research angle ${key}`,
      role: "researcher",
      inputs: { script: [{ answer: `angle ${key}` }] },
    }));
    const submitted = await submitWorkstream({
      db: s.db,
      actor: systemActor,
      correlationId: "cor_parallel",
      ventureId,
      title: "Fan out",
      tasks: [
        ...fanOut,
        { key: "merge", title: "Merge", role: "researcher", dependsOn: ["a", "b", "c", "d"] },
      ],
    });
    await eventually(
      async () =>
        Object.values(await taskStatuses(s.db, submitted.workstreamId)).every((x) => x === "succeeded"),
      30_000,
    );
    const rows = await s.db.$queryRawUnsafe<Array<{ key: string; started_at: Date; finished_at: Date }>>(
      "SELECT key, started_at, finished_at FROM tasks WHERE workstream_id = $1 AND key <> 'merge'",
      submitted.workstreamId,
    );
    // At least two of the independent tasks overlapped in time.
    const overlaps = rows.some((x) =>
      rows.some((y) => x !== y && x.started_at < y.finished_at && y.started_at < x.finished_at),
    );
    expect(overlaps).toBe(true);
  }, 40_000);

  it("starts a run once when its work message is delivered twice", async () => {
    const ventureId = await readyVenture(s.db, portfolioId, { budgetMinor: 50_000n });
    const submitted = await submitWorkstream({
      db: s.db,
      actor: systemActor,
      correlationId: "cor_dup_work",
      ventureId,
      title: "Once",
      tasks: [
        { key: "only", title: "Only once", role: "copywriter", inputs: { script: [{ answer: "done" }] } },
      ],
    });
    const taskId = submitted.taskIds.only!;
    await eventually(
      async () => (await taskStatuses(s.db, submitted.workstreamId)).only === "succeeded",
      20_000,
    );
    const [dispatched] = await s.db.$queryRawUnsafe<Array<{ envelope: string }>>(
      "SELECT envelope FROM events WHERE type = 'orchestration.task_dispatched' AND stream_id = $1",
      taskId,
    );
    const envelope = JSON.parse(dispatched!.envelope) as { id: string };
    const full = (
      await s.db.$queryRawUnsafe<Array<{ sequence: bigint; prev_hash: string; hash: string }>>(
        "SELECT sequence, prev_hash, hash FROM events WHERE id = $1",
        envelope.id,
      )
    )[0]!;
    const message = {
      ...envelope,
      sequence: Number(full.sequence),
      prevHash: full.prev_hash,
      hash: full.hash,
    };
    // A different msgID, so JetStream's own dedupe cannot drop it: the harness's inbox must.
    await jetstream(s.nc).publish(s.names.workSubject("l2.copywriter"), JSON.stringify(message), {
      msgID: `${envelope.id}-again`,
    });
    await eventually(async () => (agents.stats.duplicates ?? 0) >= 1, 10_000, "duplicate seen");
    expect(
      await count(
        "SELECT count(*) AS n FROM event_log WHERE type = 'orchestration.task_started' AND stream_id = $1",
        taskId,
      ),
    ).toBe(1);
    expect(
      await count(
        "SELECT count(*) AS n FROM event_log WHERE type = 'orchestration.task_succeeded' AND stream_id = $1",
        taskId,
      ),
    ).toBe(1);
  }, 30_000);
});

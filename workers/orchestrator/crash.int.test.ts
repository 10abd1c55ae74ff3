// Crash test (ORCH-002 "state survives any process crash and resumes where it stopped"): the real
// orchestrator and agent-runtime processes run a DAG while this test kills them with SIGKILL at
// random moments and restarts them. Afterwards every task has succeeded exactly once, dependencies
// were respected, no run was started twice, and no model call's cost was posted twice.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { submitWorkstream } from "@/server/contexts/orchestration/submit-workstream";
import {
  eventually,
  portfolioWithPolicies,
  readyVenture,
} from "@/server/contexts/orchestration/testing/fixtures";
import { openTestServices, type TestServices } from "@/test/services";
import { WorkerProcess } from "@/test/worker-processes";
import type { Stoppable } from "../_runtime/worker";
import { startOutboxRelay } from "../outbox-relay/relay";

let s: TestServices;
let relay: Stoppable;
const logs: string[] = [];

const workerEnv = () => ({
  DATABASE_URL: s.databaseUrl,
  VENTURE_NAMESPACE: s.namespace,
  LOG_LEVEL: "warn",
  WORKER_HEARTBEAT_MS: "500",
  AGENT_LEASE_MS: "1500",
  ORCHESTRATOR_DISPATCH_TIMEOUT_MS: "8000",
  ORCHESTRATOR_GLOBAL_CONCURRENCY: "16",
});
const keep = (line: string) => {
  logs.push(line);
  if (logs.length > 400) logs.shift();
};
const workers = {
  orchestrator: new WorkerProcess("orchestrator", { env: workerEnv, onOutput: keep }),
  "agent-runtime": new WorkerProcess("agent-runtime", { env: workerEnv, onOutput: keep }),
};

beforeAll(async () => {
  s = await openTestServices();
  relay = await startOutboxRelay(s, { pollMs: 100 });
}, 60_000);

afterAll(async () => {
  for (const worker of Object.values(workers)) await worker.kill();
  await relay?.stop();
  await s?.close();
});

async function count(sql: string, ...params: unknown[]): Promise<number> {
  const [row] = await s.db.$queryRawUnsafe<Array<{ n: number }>>(sql, ...params);
  return row!.n;
}

describe("kill -9 of the orchestrator and the agent runtime at random points", () => {
  it("completes every task exactly once and posts no cost twice", async () => {
    const portfolioId = await portfolioWithPolicies(s.db);
    const ventureId = await readyVenture(s.db, portfolioId, { budgetMinor: 1_000_000n });
    // A layered DAG: 4 layers of 6 tasks, each depending on two tasks of the layer before, a mix of
    // L2 agents (two model calls and a tool call each) and L3 subprocesses that take a moment.
    const tasks = [];
    for (let layer = 0; layer < 4; layer++) {
      for (let i = 0; i < 6; i++) {
        const key = `l${layer}-${i}`;
        const dependsOn = layer === 0 ? [] : [`l${layer - 1}-${i}`, `l${layer - 1}-${(i + 1) % 6}`];
        tasks.push(
          i % 3 === 2
            ? {
                key,
                title: key,
                role: "worker",
                level: "L3" as const,
                dependsOn,
                inputs: { program: "sh", script: "sleep 0.3; echo ok" },
                retry: { maxAttempts: 10, backoffMs: 100, backoffMaxMs: 500 },
              }
            : {
                key,
                title: `Research ${key}`,
                role: "researcher",
                dependsOn,
                retry: { maxAttempts: 10, backoffMs: 100, backoffMaxMs: 500 },
              },
        );
      }
    }
    const submitted = await submitWorkstream({
      db: s.db,
      actor: { type: "system", id: "test" },
      correlationId: "cor_crash",
      ventureId,
      title: "Crash",
      tasks,
    });
    workers.orchestrator.start();
    workers["agent-runtime"].start();

    // Chaos: while work remains, every 0.5–2 s kill one of the two at random, restart it shortly after.
    const deadline = Date.now() + 150_000;
    let chaos = 0;
    const open = () =>
      count(
        "SELECT count(*)::int AS n FROM tasks WHERE workstream_id = $1 AND status <> 'succeeded'",
        submitted.workstreamId,
      );
    while ((await open()) > 0 && chaos < 6 && Date.now() < deadline) {
      const victim = Math.random() < 0.5 ? workers.orchestrator : workers["agent-runtime"];
      // Kill only a process that is up and working (its heartbeat is in), after a random moment of work.
      // A restart under a loaded machine (tsx compiling the worker on two busy cores) can take a while.
      await eventually(() => victim.heartbeatSeen(s.db), 60_000, `${victim.name} up`);
      await new Promise((r) => setTimeout(r, 200 + Math.random() * 1_300));
      await victim.kill();
      chaos++;
      await new Promise((r) => setTimeout(r, Math.random() * 500));
      victim.start();
    }
    try {
      await eventually(
        async () => (await open()) === 0,
        Math.max(deadline - Date.now(), 30_000),
        "every task succeeded",
      );
    } catch (error) {
      console.error(logs.slice(-60).join("\n"));
      throw error;
    }
    expect(workers.orchestrator.kills + workers["agent-runtime"].kills).toBeGreaterThanOrEqual(3);

    // Exactly one success per task.
    const successes = await s.db.$queryRawUnsafe<Array<{ stream_id: string; n: number }>>(
      `SELECT stream_id, count(*)::int AS n FROM event_log WHERE type = 'orchestration.task_succeeded'
        AND stream_id IN (SELECT id FROM tasks WHERE workstream_id = $1) GROUP BY stream_id`,
      submitted.workstreamId,
    );
    expect(successes).toHaveLength(tasks.length);
    expect(successes.filter((x) => x.n !== 1)).toEqual([]);

    // No run started twice, and dependencies held.
    expect(
      await count(
        `SELECT count(*)::int AS n FROM (SELECT envelope::jsonb->'payload'->>'runId' AS run, count(*) AS c FROM event_log
           WHERE type = 'orchestration.task_started' AND correlation_id = 'cor_crash' GROUP BY 1 HAVING count(*) > 1) twice`,
      ),
    ).toBe(0);
    expect(
      await count(
        `SELECT count(*)::int AS n FROM task_dependencies d JOIN tasks t ON t.id = d.task_id JOIN tasks dep ON dep.id = d.depends_on_id
          WHERE t.workstream_id = $1 AND t.started_at < dep.finished_at`,
        submitted.workstreamId,
      ),
    ).toBe(0);

    // No cost posted twice: each hold posts at most once, and what the ledger posted to the venture's
    // model expenses is exactly the sum of the settled calls' costs.
    expect(
      await count(
        `SELECT count(*)::int AS n FROM (SELECT stream_id FROM event_log WHERE type = 'treasury.hold_posted'
           GROUP BY stream_id HAVING count(*) > 1) twice`,
      ),
    ).toBe(0);
    const [money] = await s.db.$queryRawUnsafe<Array<{ posted: bigint; settled: bigint; calls: number }>>(
      `SELECT (SELECT debits_posted FROM ledger_accounts WHERE id = $2) AS posted,
              (SELECT coalesce(sum(cost_minor), 0) FROM agent_model_calls WHERE venture_id = $1 AND status <> 'held')::bigint AS settled,
              (SELECT count(*) FROM agent_model_calls WHERE venture_id = $1)::int AS calls`,
      ventureId,
      `${ventureId}:expense:models:USD`,
    );
    expect(money!.calls).toBeGreaterThan(0);
    expect(money!.posted).toBe(money!.settled);
    // What the crashes did, for the record: lost runs recovered, calls cut off before settling.
    const [recovered] = await s.db.$queryRawUnsafe<
      Array<{ lost: number; aborted: number; orphaned: number }>
    >(
      `SELECT (SELECT count(*) FROM event_log WHERE type = 'orchestration.task_attempt_failed' AND correlation_id = 'cor_crash')::int AS lost,
              (SELECT count(*) FROM event_log WHERE type = 'orchestration.task_run_aborted' AND correlation_id = 'cor_crash')::int AS aborted,
              (SELECT count(*) FROM agent_model_calls WHERE venture_id = $1 AND status = 'held')::int AS orphaned`,
      ventureId,
    );
    console.info(
      `crash test: ${workers.orchestrator.kills} orchestrator and ${workers["agent-runtime"].kills} agent-runtime kills; ` +
        `${recovered!.lost} attempts failed and retried, ${recovered!.aborted} runs aborted, ${recovered!.orphaned} calls cut off before settling (holds left to expire)`,
    );
  }, 240_000);
});

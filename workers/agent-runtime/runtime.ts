// The agent runtime's consumers (ORCH-003): one durable consumer per level and role on the work
// stream — agent-l1 on `<ns>.work.l1`, agent-l2-<role> on `<ns>.work.l2.<role>`, agent-l3 on
// `<ns>.work.l3` — all through the one consumer harness. A handler claims the run in the harness's
// transaction (so a message delivered twice starts it once) and the run executes after the claim
// commits. Plus agent-memory, which records each task's result in venture memory.

import { WorkloadKeyring } from "@/server/contexts/agents/identity/workload-token";
import { recordMemory } from "@/server/contexts/agents/memory/venture-memory";
import { ledgerMeter, type SpendMeter } from "@/server/contexts/agents/metering/meter";
import { ProviderRegistry, type ProvidersConfig } from "@/server/contexts/agents/providers/registry";
import { agentRoles, roleNames } from "@/server/contexts/agents/roles";
import { executeRun, type RunDeps } from "@/server/contexts/agents/runtime/execute-run";
import { defaultPrograms, Supervisor } from "@/server/contexts/agents/supervisor/supervisor";
import { startTaskRun } from "@/server/contexts/orchestration/api";
import { type Clock, systemClock } from "@/server/shared/clock";
import type { Db } from "@/server/shared/db";
import type { Logger } from "@/server/shared/logger";
import type { NatsConnection, natsNames } from "@/server/shared/nats";
import { type ConsumerSpec, type RunningConsumer, startConsumer } from "../_runtime/consumer";
import { alwaysOpenGate, type DispatchGate } from "../_runtime/gate";

export type AgentRuntimeOptions = {
  worker?: string;
  providers?: ProvidersConfig;
  meter?: SpendMeter;
  /** null: no subprocesses in this process (sandbox.run and L3 tasks fail). Default: a supervisor. */
  supervisor?: Supervisor | null;
  leaseMs?: number;
  approvalWaitMs?: number;
  approvalPollMs?: number;
  concurrency?: { l1?: number; l2?: number; l3?: number };
  clock?: Clock;
};

/** What the kill-switch gate offers besides open/closed (workers/_runtime/control-gate.ts). */
export type PauseHooks = {
  onPause(hook: () => Record<string, number> | undefined): () => void;
  trackAbortable(controller: AbortController, kind?: string): () => void;
};

export type AgentRuntime = {
  stats: Record<string, number>;
  supervisor: Supervisor | null;
  /** The kill-switch's hook: terminate every L3 process group and abort every run of this process. */
  terminateAll(reason: string): { terminated: number; aborted: number };
  stop(): Promise<void>;
};

type Services = { db: Db; nc: NatsConnection; names: ReturnType<typeof natsNames>; log: Logger };

export async function startAgentRuntime(
  services: Services,
  options: AgentRuntimeOptions = {},
  gate: DispatchGate = alwaysOpenGate,
  hooks?: PauseHooks,
): Promise<AgentRuntime> {
  const worker = options.worker ?? "agent-runtime";
  const clock = options.clock ?? systemClock;
  const log = services.log.child({ component: "agent-runtime" });
  const supervisor =
    options.supervisor === undefined
      ? new Supervisor({ programs: await defaultPrograms() })
      : options.supervisor;
  const meter = options.meter ?? ledgerMeter;
  const runs = new Set<AbortController>();
  const stats = { runsStarted: 0, runsSucceeded: 0, runsFailed: 0, runsAborted: 0, runsStale: 0 };
  const deps: RunDeps = {
    db: services.db,
    providers: new ProviderRegistry(options.providers),
    meter,
    keyring: new WorkloadKeyring(worker),
    gateway: { db: services.db, meter, supervisor, clock },
    log,
    clock,
    worker,
    leaseMs: options.leaseMs ?? 15_000,
    approvalWaitMs: options.approvalWaitMs,
    approvalPollMs: options.approvalPollMs,
    trackAbortable: (controller) => {
      runs.add(controller);
      const untrack = hooks?.trackAbortable(controller, "agentRuns");
      return () => {
        runs.delete(controller);
        untrack?.();
      };
    },
  };

  const terminateAll = (reason: string) => {
    const aborted = runs.size;
    for (const controller of runs) controller.abort(new Error(reason));
    const { terminated } = supervisor?.terminateAll(reason) ?? { terminated: 0 };
    return { terminated, aborted };
  };
  const removeHook = hooks?.onPause(() => {
    const { terminated } = supervisor?.terminateAll("paused by the kill-switch") ?? { terminated: 0 };
    return { l3Processes: terminated };
  });

  const workSpec = (name: string, workSubject: string, concurrency: number): ConsumerSpec => ({
    name,
    eventTypes: ["orchestration.task_dispatched"],
    workSubject,
    concurrency,
    maxDeliver: 5,
    ackWaitMs: 30_000,
    async handle(envelope, { tx, afterCommit }) {
      if (envelope.type !== "orchestration.task_dispatched") return;
      const ctx = {
        actor: { type: "worker" as const, id: worker },
        correlationId: envelope.correlationId,
        causationId: envelope.id,
        clock,
      };
      const started = await startTaskRun(tx, ctx, {
        taskId: envelope.payload.taskId,
        runId: envelope.payload.runId,
        worker,
        leaseMs: deps.leaseMs,
        now: clock.now(),
      });
      if (started.kind !== "started") {
        log.info({ taskId: envelope.payload.taskId, reason: started.reason }, `dispatch ${started.kind}`);
        return;
      }
      stats.runsStarted++;
      afterCommit(async () => {
        const outcome = await executeRun(deps, started.run, {
          correlationId: envelope.correlationId,
          causationId: envelope.id,
        });
        if (outcome === "succeeded") stats.runsSucceeded++;
        else if (outcome === "failed") stats.runsFailed++;
        else if (outcome === "aborted") stats.runsAborted++;
        else stats.runsStale++;
      });
    },
  });

  const specs: ConsumerSpec[] = [
    workSpec("agent-l1", "l1", options.concurrency?.l1 ?? 2),
    ...roleNames
      .filter((r) => agentRoles[r].level === "L2")
      .map((r) => workSpec(`agent-l2-${r}`, `l2.${r}`, options.concurrency?.l2 ?? 4)),
    workSpec("agent-l3", "l3", options.concurrency?.l3 ?? 2),
    {
      name: "agent-memory",
      eventTypes: ["orchestration.task_succeeded"],
      concurrency: 4,
      async handle(envelope, { tx }) {
        if (envelope.type !== "orchestration.task_succeeded") return;
        const [task] = await tx.$queryRawUnsafe<Array<{ title: string; role: string; portfolio_id: string }>>(
          "SELECT title, role, portfolio_id FROM tasks WHERE id = $1",
          envelope.payload.taskId,
        );
        if (!task) return;
        await recordMemory(tx, {
          portfolioId: task.portfolio_id,
          ventureId: envelope.payload.ventureId,
          taskId: envelope.payload.taskId,
          kind: "result",
          title: `${task.title} (${task.role})`,
          body: envelope.payload.summary,
          now: new Date(envelope.occurredAt),
        });
      },
    },
  ];
  const consumers: RunningConsumer[] = [];
  for (const spec of specs) consumers.push(await startConsumer(services, spec, gate));

  return {
    get stats() {
      const totals: Record<string, number> = { ...stats, l3Running: supervisor?.runningCount ?? 0 };
      for (const c of consumers)
        for (const [k, v] of Object.entries(c.stats)) totals[k] = (totals[k] ?? 0) + v;
      return totals;
    },
    supervisor,
    terminateAll,
    async stop() {
      removeHook?.();
      terminateAll("the agent runtime is stopping");
      await Promise.allSettled(consumers.map((c) => c.stop()));
    },
  };
}

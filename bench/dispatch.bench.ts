// Dispatch (ORCH-003): latency from the commit of a task_dispatched event to the start of its
// handler in a work-subject consumer, through the real path (outbox → relay seals and publishes on
// the work subject → JetStream durable consumer → harness with inbox dedupe), and throughput of
// no-op tasks through JetStream. Also the full no-op task loop: scheduler pass, dispatch, start and
// completion events, dependents released.
// Targets: p50 < 10 ms, p99 < 50 ms; ≥ 1,000 no-op tasks/s.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { completeTaskRun } from "@/server/contexts/orchestration/complete-task-run";
import { createPortfolio } from "@/server/contexts/orchestration/create-portfolio";
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import { runDispatchPass } from "@/server/contexts/orchestration/dispatch-pass";
import { provisionVenture } from "@/server/contexts/orchestration/provision-venture";
import { startTaskRun } from "@/server/contexts/orchestration/start-task-run";
import { submitWorkstream } from "@/server/contexts/orchestration/submit-workstream";
import type { BudgetReader } from "@/server/contexts/orchestration/venture-budget";
import { createDb, withTransaction } from "@/server/shared/db";
import { loadEnv } from "@/server/shared/env";
import { createLogger } from "@/server/shared/logger";
import { connectNats, ensureStreams, natsNames } from "@/server/shared/nats";
import { startConsumer } from "@/workers/_runtime/consumer";
import { startScheduler } from "@/workers/orchestrator/scheduler";
import { type Bench, percentile, round, scratchDatabase } from "./lib";

const actor = { type: "system" as const, id: "bench" };
/** No-op tasks cost nothing; the ledger is not on this path. */
const freeBudget: BudgetReader = {
  available: async (_db, ventures) => new Map(ventures.map((v) => [v.ventureId, 0n])),
};

const latencySamples = 400;
const progress = (message: string) => process.stderr.write(`  dispatch: ${message}\n`);
const throughputTasks = 5_000;
const loopTasks = 2_000;

const bench: Bench = {
  name: "dispatch",
  async run() {
    const database = await scratchDatabase();
    const namespace = `bench${randomBytes(4).toString("hex")}`;
    const env = loadEnv({
      ...process.env,
      DATABASE_URL: database.url,
      VENTURE_NAMESPACE: namespace,
      LOG_LEVEL: "silent",
    });
    const db = createDb(database.url, { poolMax: 24 });
    const nc = await connectNats(env.NATS_URL, `bench-${namespace}`);
    const jsm = await ensureStreams(nc, namespace);
    const names = natsNames(namespace);
    const log = createLogger({ name: "bench", level: "silent" });
    const services = { db, nc, names, log, env };
    // The relay runs as its own process, as deployed (process-compose.yaml): it and the consumer
    // each have a core's worth of event loop, and the commit-to-handler path crosses processes.
    const relay = spawn(process.execPath, ["--import", "tsx", "workers/outbox-relay/main.ts"], {
      cwd: path.resolve(import.meta.dirname, ".."),
      env: {
        ...process.env,
        DATABASE_URL: database.url,
        VENTURE_NAMESPACE: namespace,
        LOG_LEVEL: "warn",
        VENTURE_ENV_LOADED: "1",
      },
      stdio: ["ignore", "ignore", "inherit"],
    });
    for (let i = 0; i < 600; i++) {
      const [beat] = await db.$queryRawUnsafe<Array<{ n: number }>>(
        "SELECT count(*)::int AS n FROM worker_heartbeats WHERE worker = 'outbox-relay'",
      );
      if (beat!.n > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    try {
      const { portfolioId } = await createPortfolio({ db, actor, correlationId: "cor_bench", name: "Bench" });
      const venture = await createVenture({
        db,
        actor,
        correlationId: "cor_bench",
        portfolioId,
        name: "Bench venture",
        goal: null,
      });
      await withTransaction(db, (tx) =>
        provisionVenture({
          tx,
          actor,
          correlationId: "cor_bench",
          causationId: "evt_bench",
          ventureId: venture.id,
        }),
      );
      // Dispatch is measured on its own: no venture limit holds it back.
      await db.$executeRawUnsafe("UPDATE ventures SET concurrency_limit = 100000 WHERE id = $1", venture.id);

      // A no-op handler on the researcher's work subject: it records when each task's handler starts.
      const started = new Map<string, number>();
      let notify: (() => void) | null = null;
      const consumer = await startConsumer(services, {
        name: "bench-noop-l2",
        eventTypes: ["orchestration.task_dispatched"],
        workSubject: "l2.researcher",
        concurrency: 64,
        async handle(envelope) {
          if (envelope.type !== "orchestration.task_dispatched") return;
          started.set(envelope.payload.taskId, performance.now());
          notify?.();
        },
      });
      const waitFor = (taskId: string) =>
        new Promise<number>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`task ${taskId} never reached its handler`)),
            10_000,
          );
          const check = () => {
            const at = started.get(taskId);
            if (at !== undefined) {
              clearTimeout(timer);
              notify = null;
              resolve(at);
            }
          };
          notify = check;
          check();
        });

      progress("measuring latency");
      // Latency: one task at a time, from the dispatch pass's commit to its handler's start.
      const latencies: number[] = [];
      for (let i = 0; i < latencySamples + 50; i++) {
        const submitted = await submitWorkstream({
          db,
          actor,
          correlationId: "cor_bench_latency",
          ventureId: venture.id,
          title: `latency ${i}`,
          tasks: [{ key: "t", title: "no-op", role: "researcher" }],
        });
        const taskId = submitted.taskIds.t!;
        await runDispatchPass({ db, budgets: freeBudget, globalConcurrency: 1_000_000 });
        const committed = performance.now();
        const at = await waitFor(taskId);
        if (i >= 50) latencies.push(at - committed);
      }
      latencies.sort((a, b) => a - b);

      progress("measuring throughput");
      // Throughput: thousands of ready no-op tasks, dispatched in passes, through JetStream.
      const batch = await submitWorkstream({
        db,
        actor,
        correlationId: "cor_bench_throughput",
        ventureId: venture.id,
        title: "throughput",
        tasks: Array.from({ length: throughputTasks }, (_, i) => ({
          key: `t${i}`,
          title: "no-op",
          role: "researcher",
        })),
      });
      const ids = Object.values(batch.taskIds);
      const before = started.size;
      const t0 = performance.now();
      let passes = 0;
      for (;;) {
        const pass = await runDispatchPass({
          db,
          budgets: freeBudget,
          globalConcurrency: 1_000_000,
          lookahead: 0,
        });
        passes++;
        if (pass.dispatched.length === 0) break;
      }
      const dispatchedAt = performance.now();
      while (started.size < before + ids.length) await new Promise((r) => setTimeout(r, 5));
      const t1 = Math.max(...ids.map((id) => started.get(id)!));
      await consumer.stop();

      progress("measuring the task loop");
      // The whole no-op task loop: the scheduler dispatches, a runtime-like handler starts each run
      // in the harness transaction and completes it after commit; each completion releases the next.
      const loopVenture = await createVenture({
        db,
        actor,
        correlationId: "cor_bench",
        portfolioId,
        name: "Loop venture",
        goal: null,
      });
      await withTransaction(db, (tx) =>
        provisionVenture({
          tx,
          actor,
          correlationId: "cor_bench",
          causationId: "evt_bench",
          ventureId: loopVenture.id,
        }),
      );
      await db.$executeRawUnsafe("UPDATE ventures SET concurrency_limit = 256 WHERE id = $1", loopVenture.id);
      const runner = await startConsumer(services, {
        name: "bench-loop-l2",
        eventTypes: ["orchestration.task_dispatched"],
        workSubject: "l2.copywriter",
        concurrency: 32,
        async handle(envelope, { tx, afterCommit }) {
          if (envelope.type !== "orchestration.task_dispatched") return;
          const ctx = { actor, correlationId: envelope.correlationId, causationId: envelope.id };
          const run = await startTaskRun(tx, ctx, {
            taskId: envelope.payload.taskId,
            runId: envelope.payload.runId,
            worker: "bench",
            leaseMs: 60_000,
            now: new Date(),
          });
          if (run.kind !== "started") return;
          afterCommit(async () => {
            await completeTaskRun({
              db,
              ctx,
              taskId: envelope.payload.taskId,
              runId: envelope.payload.runId,
              outcome: { summary: "no-op", output: {}, costMinor: 0n, inputTokens: 0, outputTokens: 0 },
            });
          });
        },
      });
      // The throughput phase's tasks stay dispatched (its handler never starts them), so the global
      // pool is left wide and the venture's limit of 256 is what bounds this phase.
      const scheduler = await startScheduler(services, {
        budgets: freeBudget,
        globalConcurrency: 1_000_000,
        tickMs: 50,
        sweepMs: 1_000,
      });
      const loopStart = performance.now();
      const loop = await submitWorkstream({
        db,
        actor,
        correlationId: "cor_bench_loop",
        ventureId: loopVenture.id,
        title: "loop",
        tasks: Array.from({ length: loopTasks }, (_, i) => ({
          key: `t${i}`,
          title: "no-op",
          role: "copywriter",
        })),
      });
      for (;;) {
        const [row] = await db.$queryRawUnsafe<Array<{ n: number }>>(
          "SELECT count(*)::int AS n FROM tasks WHERE workstream_id = $1 AND status <> 'succeeded'",
          loop.workstreamId,
        );
        if (row!.n === 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      const loopSeconds = (performance.now() - loopStart) / 1000;
      await scheduler.stop();
      await runner.stop();

      return {
        "dispatch.latency": {
          value: round(percentile(latencies, 50)),
          unit: "ms",
          p50: round(percentile(latencies, 50)),
          p99: round(percentile(latencies, 99)),
          note: `${latencySamples} dispatches one at a time: task_dispatched commit → relay (seal, publish on the work subject) → JetStream → harness handler start; targets p50 < 10, p99 < 50`,
        },
        "dispatch.throughput": {
          value: round(throughputTasks / ((t1 - t0) / 1000), 0),
          unit: "tasks/s",
          note: `${throughputTasks} ready no-op tasks: ${passes} dispatch passes (${round((dispatchedAt - t0) / 1000, 2)} s), relay, JetStream, harness with inbox dedupe, handler start; target ≥ 1000`,
        },
        "dispatch.task_loop": {
          value: round(loopTasks / loopSeconds, 0),
          unit: "tasks/s",
          note: `${loopTasks} no-op tasks end to end: scheduler pass, dispatch, task_started in the harness transaction, task_succeeded after commit, venture limit 256`,
        },
      };
    } finally {
      const exited = new Promise((resolve) => relay.once("exit", resolve));
      relay.kill("SIGTERM");
      await exited;
      for (const stream of [names.eventsStream, names.dlqStream, names.workStream])
        await jsm.streams.delete(stream).catch(() => {});
      await nc.drain().catch(() => {});
      await db.$disconnect();
      await database.drop();
    }
  },
};

export default bench;

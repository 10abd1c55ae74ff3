// Kill-switch (CTRL-003): how fast a pause reaches every worker, and how fast their subprocesses
// are gone. 8 worker processes each run a ControlGate and a consumer, and hold `sleep`
// subprocesses in process groups of their own (20 in all; half ignore SIGTERM), which a pause hook
// terminates: SIGTERM to each group, SIGKILL after a grace period. 50 pause/resume trials measure
//   - pause request → every worker's confirmation received (target p99 < 100 ms),
//   - pause request → every subprocess gone (target ≤ grace + 100 ms),
//   - resume request → every worker's gate open again with fresh subprocesses.
// This one file is also the worker script: the benchmark starts it with KILLSWITCH_BENCH_WORKER=1.
// Every process started here is stopped at the end, also when the run fails.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  type ControlConfirmation,
  confirmationSchema,
  controlNames,
  createControlFanout,
  pause,
  resume,
} from "@/server/contexts/control/api";
import { createDb } from "@/server/shared/db";
import { loadEnv } from "@/server/shared/env";
import { newId } from "@/server/shared/ids";
import { connectNats, ensureStreams } from "@/server/shared/nats";
import { createRedis } from "@/server/shared/redis";
import { startConsumer } from "@/workers/_runtime/consumer";
import { ControlGate } from "@/workers/_runtime/control-gate";
import { openServices } from "@/workers/_runtime/services";
import { type Bench, percentile, round, scratchDatabase } from "./lib";

const workerCount = 8;
const subprocessCount = 20;
const trials = 50;
const graceMs = 200;
/** Quiet time between a resume and the next trial's pause. */
const settleMs = 150;
/** Longest wait for any one step of a trial before the run is declared broken. */
const stepTimeoutMs = 10_000;

const benchSubjects = (namespace: string) => ({
  ready: `${namespace}.bench.ready`,
});

/** A worker's gate is open and its subprocesses run; openedAt is when its gate reopened. */
type Ready = { index: number; instanceId: string; pids: number[]; openedAt: number };

const now = () => performance.timeOrigin + performance.now();

// ---------------------------------------------------------------------------------------------
// The worker process.
// ---------------------------------------------------------------------------------------------

async function workerMain(): Promise<void> {
  const index = Number(process.env.KILLSWITCH_BENCH_INDEX);
  const children = Number(process.env.KILLSWITCH_BENCH_CHILDREN);
  const grace = Number(process.env.KILLSWITCH_BENCH_GRACE_MS);
  const env = loadEnv();
  const services = await openServices(env, `bench-worker-${index}`);
  const instanceId = newId("workerInstance");
  const gate = new ControlGate({
    worker: `bench-${index}`,
    instanceId,
    namespace: services.namespace,
    db: services.db,
    nats: { connection: services.nc },
    redis: services.redis,
    log: services.log,
  });
  const subjects = benchSubjects(services.namespace);
  const live = new Map<number, ChildProcess>();
  const stopping = new AbortController();

  const spawnChildren = (openedAt: number) => {
    for (let k = 0; k < children; k++) {
      // Half the subprocesses ignore SIGTERM (an ignored signal survives exec), so the grace
      // period and SIGKILL are exercised. detached: each leads a process group of its own.
      const script = k % 2 === 0 ? "exec sleep 600" : 'trap "" TERM; exec sleep 600';
      const child = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
      const pid = child.pid!;
      live.set(pid, child);
      child.once("exit", () => live.delete(pid));
    }
    services.nc.publish(
      subjects.ready,
      JSON.stringify({ index, instanceId, pids: [...live.keys()], openedAt } satisfies Ready),
    );
  };

  const signalGroups = (signal: NodeJS.Signals, pids: number[]) => {
    for (const pid of pids) {
      try {
        process.kill(-pid, signal);
      } catch {
        // Already gone.
      }
    }
  };

  // The L3 supervisor's pattern: signal every group now, escalate after the grace period, and
  // return at once so the confirmation is not held up by the escalation.
  gate.onPause(() => {
    const pids = [...live.keys()];
    signalGroups("SIGTERM", pids);
    setTimeout(
      () =>
        signalGroups(
          "SIGKILL",
          pids.filter((pid) => live.has(pid)),
        ),
      grace,
    );
    void gate.waitOpen(stopping.signal).then(
      () => spawnChildren(now()),
      () => {},
    );
    return { processGroups: pids.length };
  });

  await gate.start();
  const consumer = await startConsumer(
    services,
    { name: "killswitch_bench", eventTypes: ["orchestration.portfolio_created"], handle: async () => {} },
    gate,
  );
  await gate.waitOpen(stopping.signal);
  spawnChildren(now());

  let done = false;
  const shutdown = async () => {
    if (done) return;
    done = true;
    stopping.abort();
    signalGroups("SIGKILL", [...live.keys()]);
    await consumer.stop().catch(() => {});
    await gate.stop();
    await services.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown());
  process.on("SIGINT", () => void shutdown());
  // The benchmark holds an IPC channel: if it dies, so do we (and our subprocesses).
  process.on("disconnect", () => void shutdown());
}

// ---------------------------------------------------------------------------------------------
// The benchmark.
// ---------------------------------------------------------------------------------------------

/** True when the process no longer runs: no /proc entry, or a zombie waiting to be reaped. */
function gone(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return true;
  }
}

function waitFor<T>(what: string, check: () => T | undefined, pollMs = 1): Promise<T> {
  const started = now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      const value = check();
      if (value !== undefined) return resolve(value);
      if (now() - started > stepTimeoutMs)
        return reject(new Error(`killswitch bench: timed out waiting for ${what}`));
      setTimeout(poll, pollMs);
    };
    poll();
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 3_000);
  await exited;
  clearTimeout(timer);
}

const bench: Bench = {
  name: "killswitch",
  async run() {
    const env = loadEnv();
    const namespace = `kbench${randomBytes(4).toString("hex")}`;
    const database = await scratchDatabase();
    const db = createDb(database.url, { poolMax: 4 });
    const names = controlNames(namespace);
    const subjects = benchSubjects(namespace);
    const workers: ChildProcess[] = [];
    const knownPids = new Set<number>();
    let nc: NatsConnection | undefined;
    const redis = createRedis(env.REDIS_URL, namespace);
    redis.on("error", () => {});
    try {
      nc = await connectNats(env.NATS_URL, `${namespace}:bench`);
      const jsm = await ensureStreams(nc, namespace);
      const fanout = createControlFanout({ namespace, nc, redis });

      // Confirmations by epoch, timestamped on arrival; a waiter is woken by each one.
      const confirmations = new Map<number, Array<ControlConfirmation & { receivedAt: number }>>();
      let onConfirmation: (() => void) | null = null;
      nc.subscribe(names.confirmationSubject, {
        callback: (_e, msg) => {
          const receivedAt = now();
          const parsed = confirmationSchema.safeParse(msg.json());
          if (!parsed.success) return;
          const list = confirmations.get(parsed.data.epoch) ?? [];
          list.push({ ...parsed.data, receivedAt });
          confirmations.set(parsed.data.epoch, list);
          onConfirmation?.();
        },
      });
      const ready = new Map<number, Ready>();
      nc.subscribe(subjects.ready, {
        callback: (_e, msg) => {
          const r = msg.json<Ready>();
          ready.set(r.index, r);
          for (const pid of r.pids) knownPids.add(pid);
        },
      });
      await nc.flush();

      const script = fileURLToPath(import.meta.url);
      const tsx = path.resolve("node_modules/.bin/tsx");
      for (let i = 0; i < workerCount; i++) {
        const children =
          Math.floor(subprocessCount / workerCount) + (i < subprocessCount % workerCount ? 1 : 0);
        const child = spawn(tsx, [script], {
          env: {
            ...process.env,
            DATABASE_URL: database.url,
            VENTURE_NAMESPACE: namespace,
            NATS_URL: env.NATS_URL,
            REDIS_URL: env.REDIS_URL,
            LOG_LEVEL: "error",
            KILLSWITCH_BENCH_WORKER: "1",
            KILLSWITCH_BENCH_INDEX: String(i),
            KILLSWITCH_BENCH_CHILDREN: String(children),
            KILLSWITCH_BENCH_GRACE_MS: String(graceMs),
          },
          stdio: ["ignore", "inherit", "inherit", "ipc"],
        });
        workers.push(child);
      }
      // Start-up compiles TypeScript in 8 processes on shared cores: allow it time.
      const startDeadline = now() + 90_000;
      while (ready.size < workerCount) {
        if (now() > startDeadline) throw new Error(`killswitch bench: only ${ready.size} workers started`);
        if (workers.some((w) => w.exitCode !== null))
          throw new Error("killswitch bench: a worker exited at start");
        await new Promise((r) => setTimeout(r, 50));
      }

      const actor = { type: "system" as const, id: "bench" };
      const confirmMs: number[] = [];
      const goneMs: number[] = [];
      const resumeMs: number[] = [];
      const commitMs: number[] = [];
      // The machine is shared: its load during the trials is part of the result.
      const loads: number[] = [];
      const tookMs: number[] = [];
      for (let trial = 0; trial < trials; trial++) {
        // Measure a pause on a settled system, not one issued the instant the last resume landed.
        await new Promise((r) => setTimeout(r, settleMs));
        const pids = [...ready.values()].flatMap((r) => r.pids);
        if (pids.length !== subprocessCount)
          throw new Error(`expected ${subprocessCount} subprocesses, have ${pids.length}`);
        const t0 = now();
        const paused = await pause({
          db,
          actor,
          actorName: "bench",
          correlationId: `cor_bench_${trial}`,
          reason: `trial ${trial}`,
          fanout,
        });
        commitMs.push(now() - t0);
        loads.push(os.loadavg()[0]!);
        const epoch = paused.state.epoch;
        const confirmedAt = new Promise<number>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`killswitch bench: epoch ${epoch} not confirmed in time`)),
            stepTimeoutMs,
          );
          const check = () => {
            const mine = confirmations.get(epoch) ?? [];
            if (mine.length < workerCount) return;
            clearTimeout(timer);
            onConfirmation = null;
            resolve(Math.max(...mine.map((c) => c.receivedAt)));
          };
          onConfirmation = check;
          check();
        });
        // /proc is polled every 2 ms, only for what still runs.
        const running = new Set(pids);
        const goneAt = waitFor(
          `subprocesses of epoch ${epoch}`,
          () => {
            for (const pid of running) if (gone(pid)) running.delete(pid);
            return running.size === 0 ? now() : undefined;
          },
          2,
        );
        confirmMs.push((await confirmedAt) - t0);
        goneMs.push((await goneAt) - t0);
        for (const c of confirmations.get(epoch) ?? []) tookMs.push(c.tookMs);

        ready.clear();
        const t1 = now();
        await resume({
          db,
          actor,
          actorName: "bench",
          correlationId: `cor_bench_${trial}`,
          reason: `trial ${trial} over`,
          fanout,
        });
        await waitFor("every worker reopened", () => (ready.size >= workerCount ? true : undefined));
        // Until the last gate reopened (its own clock: same host, same time base), not counting
        // the respawn of its subprocesses, which is the benchmark's doing.
        resumeMs.push(Math.max(...[...ready.values()].map((r) => r.openedAt)) - t1);
      }
      await jsm.streams.delete(`${namespace.toUpperCase()}_EVENTS`).catch(() => {});
      await jsm.streams.delete(`${namespace.toUpperCase()}_DLQ`).catch(() => {});

      const stats = (values: number[]) => {
        const sorted = [...values].sort((a, b) => a - b);
        return { p50: round(percentile(sorted, 50)), p99: round(percentile(sorted, 99)) };
      };
      const confirm = stats(confirmMs);
      const goneStats = stats(goneMs);
      const resumed = stats(resumeMs);
      const commit = stats(commitMs);
      const took = stats(tookMs);
      return {
        killswitch_pause_to_all_confirmed_ms: {
          value: confirm.p99,
          unit: "ms",
          ...confirm,
          note: `pause request → confirmations from all ${workerCount} workers, ${trials} trials; target p99 < 100`,
        },
        killswitch_pause_to_subprocesses_gone_ms: {
          value: goneStats.p99,
          unit: "ms",
          ...goneStats,
          note: `pause request → all ${subprocessCount} subprocess groups gone (half ignore SIGTERM), grace ${graceMs} ms; target ≤ ${graceMs + 100}`,
        },
        killswitch_pause_commit_ms: {
          value: commit.p99,
          unit: "ms",
          ...commit,
          note: "the pause transaction (lock, event, projection) and its NATS + Redis fan-out",
        },
        killswitch_worker_stop_ms: {
          value: took.p99,
          unit: "ms",
          ...took,
          note: "inside a worker: pause heard → hooks returned (tookMs of each confirmation)",
        },
        killswitch_load_average: {
          value: round(loads.reduce((sum, l) => sum + l, 0) / Math.max(1, loads.length)),
          unit: "runnable tasks (1-min load average)",
          note: `mean over the trials, on ${os.cpus().length} cores shared with other work; latencies above scale with it`,
        },
        killswitch_resume_to_all_open_ms: {
          value: resumed.p99,
          unit: "ms",
          ...resumed,
          note: "resume request → every gate reopened (each re-reads PostgreSQL before it opens)",
        },
      };
    } finally {
      await Promise.all(workers.map(stopProcess));
      // Belt and braces: no subprocess outlives the run, whatever happened to its worker.
      for (const pid of knownPids) {
        try {
          process.kill(-pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      await nc?.drain().catch(() => {});
      const keys = await redis.keys("*").catch(() => [] as string[]);
      if (keys.length > 0) await redis.del(...keys.map((k) => k.slice(namespace.length + 1))).catch(() => {});
      redis.disconnect();
      await db.$disconnect();
      await database.drop();
    }
  },
};

export default bench;

if (process.env.KILLSWITCH_BENCH_WORKER === "1" && process.argv[1] === fileURLToPath(import.meta.url)) {
  await workerMain();
}

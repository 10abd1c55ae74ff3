// Runs one worker process: opens its services, starts its kill-switch gate, consumers and loops,
// writes a heartbeat, and on SIGTERM/SIGINT drains everything and exits.
import "@/server/shared/v8-workaround";
import os from "node:os";
import { loadEnv } from "@/server/shared/env";
import { newId } from "@/server/shared/ids";
import { type ConsumerSpec, type RunningConsumer, startConsumer } from "./consumer";
import { ControlGate } from "./control-gate";
import { openServices, type WorkerServices } from "./services";

export type Stoppable = { stop(): Promise<void>; stats?: Record<string, number> };

/** What a loop gets besides the connections: the process's kill-switch gate and identity. */
export type WorkerRuntime = {
  instanceId: string;
  /** Dispatching loops must ask gate.isOpen() / await gate.waitOpen(); register onPause hooks here. */
  gate: ControlGate;
};

export type WorkerDefinition = {
  name: string;
  consumers: ConsumerSpec[];
  /** Long-running loops that are not JetStream consumers (the outbox relay, schedulers). */
  loops?: Array<(services: WorkerServices, runtime: WorkerRuntime) => Promise<Stoppable>>;
};

const shutdownTimeoutMs = 10_000;

export async function startHeartbeat(
  services: WorkerServices,
  worker: string,
  stats: () => Record<string, unknown>,
  instanceId: string = newId("workerInstance"),
): Promise<Stoppable & { instanceId: string }> {
  const startedAt = new Date();
  const beat = () =>
    services.db.$executeRawUnsafe(
      `INSERT INTO worker_heartbeats (instance_id, worker, pid, host, started_at, beat_at, stats)
       VALUES ($1, $2, $3, $4, $5, now(), $6::jsonb)
       ON CONFLICT (instance_id) DO UPDATE SET beat_at = now(), stats = EXCLUDED.stats`,
      instanceId,
      worker,
      process.pid,
      os.hostname(),
      startedAt,
      JSON.stringify(stats()),
    );
  await beat();
  const timer = setInterval(() => {
    beat().catch((error) => services.log.warn({ err: String(error) }, "heartbeat failed"));
  }, services.env.WORKER_HEARTBEAT_MS);
  return {
    instanceId,
    async stop() {
      clearInterval(timer);
    },
  };
}

export async function runWorker(definition: WorkerDefinition): Promise<void> {
  const env = loadEnv();
  const services = await openServices(env, definition.name);
  const { log } = services;
  // One id for the heartbeat and the gate's confirmations, so the control page can tell which
  // live instances have not confirmed a pause.
  const instanceId = newId("workerInstance");
  const gate = new ControlGate({
    worker: definition.name,
    instanceId,
    namespace: services.namespace,
    db: services.db,
    nats: { connection: services.nc },
    redis: services.redis,
    log,
  });
  // Before any consumer: they wait on the gate, which stays closed until it has confirmed the state.
  await gate.start();
  const consumers: RunningConsumer[] = [];
  for (const spec of definition.consumers) consumers.push(await startConsumer(services, spec, gate));
  const loops: Stoppable[] = [];
  for (const start of definition.loops ?? []) loops.push(await start(services, { instanceId, gate }));
  // Heartbeats are not gated: a paused worker is alive, and health must keep saying so.
  const heartbeat = await startHeartbeat(
    services,
    definition.name,
    () => {
      const totals: Record<string, number> = {};
      for (const c of consumers) {
        for (const [key, value] of Object.entries(c.stats)) totals[key] = (totals[key] ?? 0) + value;
      }
      for (const l of loops) {
        for (const [key, value] of Object.entries(l.stats ?? {})) totals[key] = (totals[key] ?? 0) + value;
      }
      // Summed over instances by /api/metrics: open gates, and pauses each instance stopped for.
      totals.gateOpen = gate.isOpen() ? 1 : 0;
      totals.controlPauses = gate.stats.pauses;
      return totals;
    },
    instanceId,
  );
  log.info(
    { consumers: definition.consumers.map((c) => c.name), instanceId: heartbeat.instanceId },
    "worker started",
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "draining");
    const force = setTimeout(() => {
      log.error("drain took too long: exiting");
      process.exit(1);
    }, shutdownTimeoutMs);
    force.unref();
    await Promise.allSettled([...consumers, ...loops].map((c) => c.stop()));
    await gate.stop();
    await heartbeat.stop();
    await services.close();
    log.info("stopped cleanly");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

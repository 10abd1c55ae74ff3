// The four worker processes of the fault suite, as process-compose runs them (process-compose.yaml),
// against the suite's private services, plus what the suite measures about them: up, recovered.
import type { Db } from "@/server/shared/db";
import { type WorkerName, WorkerProcess } from "@/test/worker-processes";
import type { PrivateStack } from "./private-services";

export const workerNames: WorkerName[] = [
  "outbox-relay",
  "orchestrator",
  "agent-runtime",
  "artifact-compiler",
];

export class Fleet {
  readonly workers: Record<WorkerName, WorkerProcess>;
  /** The last lines the workers printed (warnings and errors), for a failure's message. */
  readonly logs: string[] = [];

  constructor(stack: PrivateStack, namespace: string) {
    // Limits as the crash test sets them: a lost run or a dispatch nobody started is noticed in
    // seconds rather than minutes, so a run of the suite fits in its time.
    const env = () => ({
      NODE_ENV: "test",
      DATABASE_URL: stack.databaseUrl,
      NATS_URL: stack.nats.url,
      REDIS_URL: stack.redis.url,
      VENTURE_NAMESPACE: namespace,
      LOG_LEVEL: "warn",
      WORKER_HEARTBEAT_MS: "500",
      AGENT_LEASE_MS: "2000",
      ORCHESTRATOR_DISPATCH_TIMEOUT_MS: "8000",
      ORCHESTRATOR_GLOBAL_CONCURRENCY: "16",
      // The suite's money traffic is a burst (an intent every ~half second for minutes) that the
      // anomaly rules rightly call a spike and freeze; freezes are tested elsewhere, so here the
      // thresholds are out of reach and every request is decided on its own merits.
      TREASURY_VELOCITY_MAX_INTENTS: "1000000",
      TREASURY_VELOCITY_MAX_AMOUNT_MINOR: "1000000000000000",
      TREASURY_BURN_MIN_MINOR: "1000000000000000",
      SANDBOX_RAIL_SETTLE_MS: "500",
    });
    const onOutput = (line: string) => {
      this.logs.push(line.slice(0, 2_000));
      if (this.logs.length > 300) this.logs.shift();
    };
    this.workers = Object.fromEntries(
      workerNames.map((name) => [name, new WorkerProcess(name, { env, onOutput })]),
    ) as Record<WorkerName, WorkerProcess>;
  }

  startAll(): void {
    for (const worker of Object.values(this.workers)) worker.start();
  }

  async waitUp(db: Db, names: WorkerName[], timeoutMs: number): Promise<void> {
    const started = Date.now();
    for (;;) {
      const down: WorkerName[] = [];
      for (const name of names) {
        if (!(await this.workers[name].heartbeatSeen(db).catch(() => false))) down.push(name);
      }
      if (down.length === 0) return;
      if (Date.now() - started > timeoutMs) {
        throw new Error(
          `${down.join(", ")} not up within ${timeoutMs} ms:\n${this.logs.slice(-40).join("\n")}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /**
   * Every worker process that is running now has, since `since`, written a heartbeat that says its
   * kill-switch gate is open: its connections to PostgreSQL, NATS and Redis all answer again.
   */
  async notRecoveredSince(db: Db, since: Date): Promise<WorkerName[]> {
    const open = await db.$queryRawUnsafe<Array<{ pid: number }>>(
      `SELECT pid FROM worker_heartbeats WHERE beat_at > $1 AND stats->>'gateOpen' = '1'`,
      since,
    );
    const pids = new Set(open.map((r) => r.pid));
    return workerNames.filter((name) => !pids.has(this.workers[name].pid ?? -1));
  }

  async stopAll(): Promise<void> {
    await Promise.all(Object.values(this.workers).map((w) => w.kill("SIGTERM")));
  }

  /** Exits no test caused: a worker that crashed by itself. */
  unexpectedExits(): string[] {
    return Object.values(this.workers).flatMap((w) => w.unexpectedExits.map((e) => `${w.name}: ${e}`));
  }
}

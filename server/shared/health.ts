// Health of the whole system as one process sees it: PostgreSQL, NATS with JetStream, Redis, and
// each worker's last heartbeat. Any check failing makes the answer unhealthy (HTTP 503).
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { Redis } from "ioredis";
import type { Db } from "./db";

export const expectedWorkers = [
  "outbox-relay",
  "orchestrator",
  "agent-runtime",
  "artifact-compiler",
  "notifier",
] as const;

export type CheckResult = { ok: boolean; latencyMs: number; detail?: string };
export type HealthReport = {
  ok: boolean;
  checks: { postgres: CheckResult; nats: CheckResult; redis: CheckResult };
  workers: Record<string, { ok: boolean; lastBeatAgeMs: number | null; instances: number }>;
};

async function timed(fn: () => Promise<string | undefined>, timeoutMs: number): Promise<CheckResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    const detail = await Promise.race([
      fn(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: Math.round(performance.now() - started), ...(detail ? { detail } : {}) };
  } catch (error) {
    return {
      ok: false,
      latencyMs: Math.round(performance.now() - started),
      detail: (error as Error).message,
    };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkHealth(options: {
  db: Db;
  natsUrl: string;
  redisUrl: string;
  heartbeatMs: number;
  workers?: readonly string[];
  timeoutMs?: number;
}): Promise<HealthReport> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const [postgres, nats, redis, beats] = await Promise.all([
    timed(async () => {
      await options.db.$queryRawUnsafe("SELECT 1");
      return undefined;
    }, timeoutMs),
    timed(async () => {
      const nc = await connect({ servers: options.natsUrl, timeout: timeoutMs, reconnect: false });
      try {
        const info = await (await jetstreamManager(nc)).getAccountInfo();
        return `jetstream streams=${info.streams}`;
      } finally {
        await nc.close();
      }
    }, timeoutMs),
    timed(async () => {
      const client = new Redis(options.redisUrl, {
        lazyConnect: true,
        connectTimeout: timeoutMs,
        maxRetriesPerRequest: 0,
        retryStrategy: () => null,
        enableOfflineQueue: false,
      });
      client.on("error", () => {});
      try {
        await client.connect();
        const pong = await client.ping();
        if (pong !== "PONG") throw new Error(`unexpected answer ${pong}`);
        return undefined;
      } finally {
        client.disconnect();
      }
    }, timeoutMs),
    options.db
      .$queryRawUnsafe<Array<{ worker: string; age_ms: number; instances: bigint }>>(
        `SELECT worker, (extract(epoch FROM now() - max(beat_at)) * 1000)::float8 AS age_ms, count(*) AS instances
           FROM worker_heartbeats WHERE beat_at > now() - interval '1 hour' GROUP BY worker`,
      )
      .catch(() => [] as Array<{ worker: string; age_ms: number; instances: bigint }>),
  ]);
  const staleAfterMs = options.heartbeatMs * 3;
  const workers: HealthReport["workers"] = {};
  for (const name of options.workers ?? expectedWorkers) {
    const row = beats.find((b) => b.worker === name);
    const age = row ? Math.round(row.age_ms) : null;
    workers[name] = {
      ok: age !== null && age <= staleAfterMs,
      lastBeatAgeMs: age,
      instances: Number(row?.instances ?? 0),
    };
  }
  const ok = postgres.ok && nats.ok && redis.ok && Object.values(workers).every((w) => w.ok);
  return { ok, checks: { postgres, nats, redis }, workers };
}

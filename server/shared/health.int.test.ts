import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestServices, type TestServices } from "@/test/services";
import { startHeartbeat } from "@/workers/_runtime/worker";
import { checkHealth, expectedWorkers } from "./health";

let s: TestServices;

/** A port on this machine that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  s = await openTestServices();
});
afterAll(async () => {
  await s.close();
});

describe("health", () => {
  it("is healthy when every service answers and every worker beats", async () => {
    const beats = [];
    for (const worker of expectedWorkers) {
      beats.push(await startHeartbeat({ ...s, close: async () => {} } as never, worker, () => ({})));
    }
    const report = await checkHealth({
      db: s.db,
      natsUrl: s.env.NATS_URL,
      redisUrl: s.env.REDIS_URL,
      heartbeatMs: 200,
    });
    for (const b of beats) await b.stop();
    expect(report.checks.nats.detail).toMatch(/jetstream/);
    expect(report).toMatchObject({
      ok: true,
      checks: { postgres: { ok: true }, nats: { ok: true }, redis: { ok: true } },
    });
  });

  it("is unhealthy, naming Redis, when Redis cannot be reached", async () => {
    const port = await closedPort();
    const report = await checkHealth({
      db: s.db,
      natsUrl: s.env.NATS_URL,
      redisUrl: `redis://127.0.0.1:${port}`,
      heartbeatMs: 200,
      timeoutMs: 1_000,
    });
    expect(report.ok).toBe(false);
    expect(report.checks.redis.ok).toBe(false);
    expect(report.checks.nats.ok).toBe(true);
  });

  it("is unhealthy, naming NATS, when NATS cannot be reached", async () => {
    const port = await closedPort();
    const report = await checkHealth({
      db: s.db,
      natsUrl: `nats://127.0.0.1:${port}`,
      redisUrl: s.env.REDIS_URL,
      heartbeatMs: 200,
      timeoutMs: 1_000,
    });
    expect(report.ok).toBe(false);
    expect(report.checks.nats.ok).toBe(false);
    expect(report.checks.redis.ok).toBe(true);
  });

  it("is unhealthy when a worker's heartbeat is stale", async () => {
    await s.db.$executeRawUnsafe(
      `INSERT INTO worker_heartbeats (instance_id, worker, pid, host, started_at, beat_at)
       VALUES ('wrk_stale', 'orchestrator-stale', 1, 'h', now(), now() - interval '10 seconds')`,
    );
    const report = await checkHealth({
      db: s.db,
      natsUrl: s.env.NATS_URL,
      redisUrl: s.env.REDIS_URL,
      heartbeatMs: 200,
      workers: ["orchestrator-stale"],
    });
    expect(report.ok).toBe(false);
    expect(report.workers["orchestrator-stale"]).toMatchObject({ ok: false, instances: 1 });
  });
});

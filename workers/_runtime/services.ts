// The connections a worker process holds: PostgreSQL (Prisma), NATS JetStream and Redis.
import { createDb, type Db } from "@/server/shared/db";
import type { Env } from "@/server/shared/env";
import { createLogger, type Logger } from "@/server/shared/logger";
import { connectNats, ensureStreams, type NatsConnection, natsNames } from "@/server/shared/nats";
import { createRedis, type Redis } from "@/server/shared/redis";

export type WorkerServices = {
  env: Env;
  namespace: string;
  names: ReturnType<typeof natsNames>;
  db: Db;
  nc: NatsConnection;
  redis: Redis;
  log: Logger;
  close(): Promise<void>;
};

export async function openServices(env: Env, processName: string): Promise<WorkerServices> {
  const log = createLogger({ name: processName, level: env.LOG_LEVEL });
  const db = createDb(env.DATABASE_URL);
  await db.$queryRawUnsafe("SELECT 1");
  const nc = await connectNats(env.NATS_URL, `${env.VENTURE_NAMESPACE}:${processName}`);
  await ensureStreams(nc, env.VENTURE_NAMESPACE);
  const redis = createRedis(env.REDIS_URL, env.VENTURE_NAMESPACE);
  redis.on("error", (error) => log.warn({ err: error.message }, "redis error"));
  return {
    env,
    namespace: env.VENTURE_NAMESPACE,
    names: natsNames(env.VENTURE_NAMESPACE),
    db,
    nc,
    redis,
    log,
    async close() {
      await nc.drain().catch(() => {});
      redis.disconnect();
      await db.$disconnect();
    },
  };
}

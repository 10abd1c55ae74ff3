// The web process's long-lived connections, created once per process on first use. Route
// handlers, tRPC and next-auth all share them. Workers have their own (workers/_runtime/services).
import { createDb, type Db } from "@/server/shared/db";
import { type Env, loadEnv } from "@/server/shared/env";
import { createLogger, type Logger } from "@/server/shared/logger";
import { createRedis, type Redis } from "@/server/shared/redis";

export type WebRuntime = {
  env: Env;
  db: Db;
  /**
   * The kill-switch's own connections: pause and resume (and the sign-in check before them) never
   * queue behind other requests, so the button works when a burst has every other connection busy.
   */
  controlDb: Db;
  /** Queries' own connections (GET requests and server-rendered pages): reads stay answered while
   * a burst of commands has the shared ones queued (server/trpc/request-lane.ts). */
  readDb: Db;
  log: Logger;
  redis(): Redis;
};

const globalForRuntime = globalThis as unknown as { ventureRuntime?: WebRuntime };

export function webRuntime(): WebRuntime {
  if (globalForRuntime.ventureRuntime) return globalForRuntime.ventureRuntime;
  const env = loadEnv();
  let redis: Redis | undefined;
  const runtime: WebRuntime = {
    env,
    db: createDb(env.DATABASE_URL),
    controlDb: createDb(env.DATABASE_URL, { poolMax: 2 }),
    readDb: createDb(env.DATABASE_URL, { poolMax: 6 }),
    log: createLogger({ name: "web", level: env.LOG_LEVEL }),
    redis() {
      redis ??= createRedis(env.REDIS_URL, env.VENTURE_NAMESPACE);
      return redis;
    },
  };
  globalForRuntime.ventureRuntime = runtime;
  return runtime;
}

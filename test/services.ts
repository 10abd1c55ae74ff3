// Per-test-file isolation on the real services: a database cloned from the migrated template,
// a namespace of its own for NATS streams/subjects and Redis keys. Dropped afterwards.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { createDb, type Db } from "@/server/shared/db";
import { type Env, loadEnv } from "@/server/shared/env";
import { createLogger } from "@/server/shared/logger";
import { connectNats, ensureStreams, type NatsConnection, natsNames } from "@/server/shared/nats";
import { createRedis, type Redis } from "@/server/shared/redis";
import { adminUrl, baseDatabaseUrl } from "./urls";

export type TestServices = {
  env: Env;
  databaseUrl: string;
  namespace: string;
  names: ReturnType<typeof natsNames>;
  db: Db;
  nc: NatsConnection;
  redis: Redis;
  log: ReturnType<typeof createLogger>;
  close(): Promise<void>;
};

export async function createTestDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const template = process.env.VENTURE_TEST_TEMPLATE;
  if (!template)
    throw new Error("VENTURE_TEST_TEMPLATE is not set: run integration tests through vitest --project int");
  const name = `venture_t_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  await admin.end();
  return {
    url: baseDatabaseUrl(name),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

export async function openTestServices(): Promise<TestServices> {
  const database = await createTestDatabase();
  const namespace = `t${randomBytes(5).toString("hex")}`;
  const env = loadEnv({
    ...process.env,
    DATABASE_URL: database.url,
    VENTURE_NAMESPACE: namespace,
    LOG_LEVEL: process.env.LOG_LEVEL ?? "silent",
    WORKER_HEARTBEAT_MS: "200",
  });
  const db = createDb(database.url, { poolMax: 20 });
  const nc = await connectNats(env.NATS_URL, `test-${namespace}`);
  const jsm = await ensureStreams(nc, namespace);
  const names = natsNames(namespace);
  const redis = createRedis(env.REDIS_URL, namespace);
  return {
    env,
    databaseUrl: database.url,
    namespace,
    names,
    db,
    nc,
    redis,
    log: createLogger({ name: "test", level: env.LOG_LEVEL }),
    async close() {
      await jsm.streams.delete(names.eventsStream).catch(() => {});
      await jsm.streams.delete(names.dlqStream).catch(() => {});
      await jsm.streams.delete(names.workStream).catch(() => {});
      await nc.drain().catch(() => {});
      const keys = await redis.keys("*").catch(() => [] as string[]);
      // keys() returns prefixed names; del() would prefix again.
      if (keys.length > 0) await redis.del(...keys.map((k) => k.slice(namespace.length + 1))).catch(() => {});
      redis.disconnect();
      await db.$disconnect();
      await database.drop();
    },
  };
}

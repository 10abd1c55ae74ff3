// Integration tests run against the real PostgreSQL, NATS and Redis. A missing service fails the
// run (never skipped). The migrated template database is made once; each test file clones it.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import pg from "pg";
import { adminUrl, baseDatabaseUrl } from "./urls";

async function reachable(host: string, port: number, what: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const socket = net.connect({ host, port, timeout: 2_000 }, () => {
      socket.end();
      resolve();
    });
    socket.on("error", () =>
      reject(new Error(`${what} is not reachable at ${host}:${port}: start it (see README)`)),
    );
    socket.on("timeout", () => reject(new Error(`${what} did not answer at ${host}:${port}`)));
  });
}

export default async function setup(): Promise<void> {
  const nats = new URL(process.env.NATS_URL ?? "nats://127.0.0.1:4222");
  const redis = new URL(process.env.REDIS_URL ?? "redis://127.0.0.1:6379");
  await reachable(nats.hostname, Number(nats.port || 4222), "NATS");
  await reachable(redis.hostname, Number(redis.port || 6379), "Redis");

  const migrationsDir = path.resolve("prisma/migrations");
  const digest = createHash("sha256");
  for (const dir of fs.readdirSync(migrationsDir).sort()) {
    const file = path.join(migrationsDir, dir, "migration.sql");
    if (fs.existsSync(file)) digest.update(fs.readFileSync(file));
  }
  const template = `venture_tpl_${digest.digest("hex").slice(0, 12)}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    const exists = await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [template]);
    if (exists.rowCount === 0) {
      const building = `${template}_build`;
      await admin.query(`DROP DATABASE IF EXISTS ${building}`);
      await admin.query(`CREATE DATABASE ${building}`);
      try {
        execFileSync("npx", ["prisma", "migrate", "deploy"], {
          env: { ...process.env, DATABASE_URL: baseDatabaseUrl(building) },
          stdio: "pipe",
        });
      } catch (error) {
        const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? String(error);
        throw new Error(
          `migrating the template database failed:\n${stderr.split("\n").slice(0, 8).join("\n")}`,
        );
      }
      await admin.query(`ALTER DATABASE ${building} RENAME TO ${template}`);
      await admin.query(`ALTER DATABASE ${template} WITH IS_TEMPLATE true`);
    }
  } finally {
    await admin.end();
  }
  process.env.VENTURE_TEST_TEMPLATE = template;
}

// Starts the whole system for the browser journeys: a fresh database of its own (migrated and
// seeded with one user per role), a namespace of its own on the shared NATS and Redis, the Next.js
// server (built first when the build is missing or older than the sources) and every worker.
// Stops them all on SIGTERM.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import pg from "pg";
import { checkpointStreamNames } from "@/server/contexts/compliance/checkpoint-copies";
import { grantMembership } from "@/server/contexts/identity/grant-membership";
import { registerUser } from "@/server/contexts/identity/register-user";
import { createPortfolio } from "@/server/contexts/orchestration/create-portfolio";
import { createDb } from "@/server/shared/db";
import { roles } from "@/server/shared/events/catalog";
import { connectNats } from "@/server/shared/nats";
import { adminUrl, baseDatabaseUrl } from "@/test/urls";
import { buildIfStale } from "./build";
import { e2eExtraUsers, e2eUsers } from "./users";

const port = process.env.E2E_PORT ?? "3100";
const password = process.env.E2E_PASSWORD;
if (!password) throw new Error("E2E_PASSWORD is not set (playwright.config.ts sets it)");
const database = "venture_e2e";
const databaseUrl = baseDatabaseUrl(database);
// Personal data (ADR 0013): one master key for the run, shared by the seeding below and every process.
process.env.PII_MASTER_KEY ??= randomBytes(32).toString("base64");
// A fresh audit keyring, checkpoint copies and packs per run (ADR 0008): copies left by an earlier
// run, of another database, would not verify against this one; the same for the JetStream copies.
const auditDir = path.resolve(".data/e2e");
fs.rmSync(auditDir, { recursive: true, force: true });
const nc = await connectNats(process.env.NATS_URL ?? "nats://127.0.0.1:4222", "e2e-serve");
await (await jetstreamManager(nc)).streams.delete(checkpointStreamNames("e2e").stream).catch(() => false);
await nc.drain();
const env = {
  ...process.env,
  NODE_ENV: "production" as const,
  DATABASE_URL: databaseUrl,
  VENTURE_NAMESPACE: "e2e",
  AUTH_URL: `http://127.0.0.1:${port}`,
  AUTH_SECRET: process.env.AUTH_SECRET ?? "e2e-secret-only-for-the-browser-journeys-0123456789",
  WORKER_HEARTBEAT_MS: "500",
  PORT: port,
  AUDIT_SIGNING_KEY_PATH: path.join(auditDir, "keys"),
};

const admin = new pg.Client({ connectionString: adminUrl() });
await admin.connect();
await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
await admin.query(`CREATE DATABASE ${database}`);
await admin.end();
execFileSync("npx", ["prisma", "migrate", "deploy"], { env, stdio: "inherit" });

const db = createDb(databaseUrl);
const actor = { type: "system" as const, id: "e2e" };
const { portfolioId } = await createPortfolio({
  db,
  actor,
  correlationId: "cor_e2e",
  name: "Journey Portfolio",
});
for (const role of roles) {
  const { userId } = await registerUser({
    db,
    actor,
    correlationId: "cor_e2e",
    email: e2eUsers[role],
    name: role.replace("_", " "),
    password,
  });
  await grantMembership({ db, actor, correlationId: "cor_e2e", userId, portfolioId, role });
}
for (const extra of e2eExtraUsers) {
  const { userId } = await registerUser({
    db,
    actor,
    correlationId: "cor_e2e",
    email: extra.email,
    name: extra.name,
    password,
  });
  await grantMembership({ db, actor, correlationId: "cor_e2e", userId, portfolioId, role: extra.role });
}
await db.$disconnect();

buildIfStale(env);

const children: ChildProcess[] = [];
function start(name: string, command: string, args: string[]) {
  const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  child.stdout?.on("data", (d: Buffer) => process.stdout.write(`[${name}] ${d}`));
  child.stderr?.on("data", (d: Buffer) => process.stderr.write(`[${name}] ${d}`));
  children.push(child);
}
// `npm start`, as `npm run up` serves: its keep-alive timeout (65 s) outlasts a client's idle pause,
// where Node's 5 s default closed sockets just as a client reused them (ECONNRESET).
start("web", "npm", ["run", "start", "--", "-p", port, "-H", "127.0.0.1"]);
for (const worker of ["outbox-relay", "orchestrator", "agent-runtime", "artifact-compiler", "notifier"]) {
  start(worker, "npx", ["tsx", `workers/${worker}/main.ts`]);
}

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  for (const child of children) {
    if (child.pid) {
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
    }
  }
  setTimeout(() => process.exit(0), 5_000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
for (const child of children)
  child.on("exit", () => (stopping ? undefined : console.error("a process exited early")));

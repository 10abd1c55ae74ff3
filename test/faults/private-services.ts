// Private PostgreSQL, NATS and Redis for the fault suite, on ports of their own, so the suite can
// stop and restart them while the shared services (5432/4222/6379) stay up for everyone else. NATS
// and Redis come from the shared helpers (test/private-services.ts); PostgreSQL is here. It refuses
// to run as root: as root, its commands run as the `postgres` user on a data folder that user owns.
// fsync stays on, so an immediate stop (a crash) loses nothing committed.
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort, type PrivateServer, startPrivateNats, startPrivateRedis } from "@/test/private-services";

const run = promisify(execFile);
/** Debian's PostgreSQL binaries (15 here; the newest installed major version elsewhere). */
const pgBin = (() => {
  const versions = fs.existsSync("/usr/lib/postgresql")
    ? fs
        .readdirSync("/usr/lib/postgresql")
        .filter((v) => fs.existsSync(`/usr/lib/postgresql/${v}/bin/initdb`))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return versions[0] ? `/usr/lib/postgresql/${versions[0]}/bin` : "/usr/lib/postgresql/15/bin";
})();
const root = path.resolve(import.meta.dirname, "../..");

/** PostgreSQL in a data folder of its own; `pg_ctl` starts it detached, so it outlives a crash of ours. */
export class PrivatePostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  private static async asPostgres(command: string, args: string[]): Promise<string> {
    const asRoot = process.getuid?.() === 0;
    const { stdout } = asRoot
      ? await run("runuser", ["-u", "postgres", "--", command, ...args])
      : await run(command, args);
    return stdout;
  }

  static async create(parent: string): Promise<PrivatePostgres> {
    const dir = path.join(parent, "postgres");
    fs.mkdirSync(dir, { recursive: true });
    if (process.getuid?.() === 0) {
      await run("chown", ["-R", "postgres:postgres", parent]);
    }
    // --no-sync only skips initdb's own final flush; the server runs with fsync on.
    await PrivatePostgres.asPostgres(`${pgBin}/initdb`, [
      "-D",
      path.join(dir, "data"),
      "-A",
      "trust",
      "-U",
      "postgres",
      "--no-sync",
    ]);
    const server = new PrivatePostgres(dir, await freePort());
    await server.start();
    return server;
  }

  url(database: string): string {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async start(): Promise<void> {
    const options = [
      `-p ${this.port}`,
      `-k ${this.dir}`,
      "-c listen_addresses=127.0.0.1",
      "-c fsync=on",
      "-c max_connections=200",
    ].join(" ");
    await PrivatePostgres.asPostgres(`${pgBin}/pg_ctl`, [
      "-D",
      path.join(this.dir, "data"),
      "-o",
      options,
      "-l",
      path.join(this.dir, "server.log"),
      "-w",
      "-t",
      "60",
      "start",
    ]);
  }

  /** fast: a clean shutdown that ends every session; immediate: a crash, recovered from the WAL at the next start. */
  async stop(mode: "fast" | "immediate" = "fast"): Promise<void> {
    await PrivatePostgres.asPostgres(`${pgBin}/pg_ctl`, [
      "-D",
      path.join(this.dir, "data"),
      "-m",
      mode,
      "-w",
      "-t",
      "60",
      "stop",
    ]).catch(() => {});
  }

  /** Creates the database and applies the committed migrations to it, as `npm run db:migrate` does. */
  async createMigratedDatabase(database: string): Promise<string> {
    const admin = new pg.Client({ connectionString: this.url("postgres") });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${database}`);
    await admin.end();
    const url = this.url(database);
    try {
      await run("npx", ["prisma", "migrate", "deploy"], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: url },
      });
    } catch (error) {
      const stderr = (error as { stderr?: string }).stderr ?? String(error);
      throw new Error(`migrating the private database failed:\n${stderr.split("\n").slice(0, 8).join("\n")}`);
    }
    return url;
  }
}

export type PrivateStack = {
  dir: string;
  postgres: PrivatePostgres;
  nats: PrivateServer;
  redis: PrivateServer;
  databaseUrl: string;
  stop(): Promise<void>;
};

/** PostgreSQL with a freshly migrated database, NATS with JetStream and Redis, all private. */
export async function startPrivateStack(): Promise<PrivateStack> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "venture-faults-"));
  const postgres = await PrivatePostgres.create(dir);
  const others = await Promise.allSettled([startPrivateNats(), startPrivateRedis()]);
  const [nats, redis] = others.map((o) => (o.status === "fulfilled" ? o.value : null));
  const stop = async () => {
    await Promise.allSettled([postgres.stop("fast"), nats?.dispose(), redis?.dispose()]);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    if (!nats || !redis) throw (others.find((o) => o.status === "rejected") as PromiseRejectedResult).reason;
    const databaseUrl = await postgres.createMigratedDatabase("venture_faults");
    return { dir, postgres, nats, redis, databaseUrl, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

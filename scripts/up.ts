/**
 * `npm run up`: everything Venture needs on one machine, in one command.
 *
 * 1. Creates `.env` from `.env.example` on first run, with a fresh AUTH_SECRET, and loads it so
 *    every process inherits the same settings.
 * 2. Runs process-compose.yaml: with the process-compose binary when it is installed (its TUI is
 *    the better tool), otherwise with the built-in runner in ./lib/compose-runner.ts.
 * 3. Prints where to open the app and how to sign in once the web process is healthy.
 *
 * Pass `--builtin` to use the built-in runner even where process-compose is installed, and
 * `--file <path>` to run another compose file.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ComposeError, ComposeRunner, parseCompose } from "./lib/compose-runner.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const CREDENTIALS_FILE = path.join(ROOT, ".data", "dev-credentials.txt");

function fail(message: string): never {
  console.error(`up: ${message}`);
  process.exit(1);
}

/** Writes `.env` from the example once; the secret is per machine and never committed. */
function ensureEnvFile(root: string): void {
  const envFile = path.join(root, ".env");
  if (existsSync(envFile)) return;
  const example = path.join(root, ".env.example");
  if (!existsSync(example)) fail(`neither .env nor .env.example exists in ${root}`);
  const secret = randomBytes(32).toString("base64url");
  const text = readFileSync(example, "utf8").replace(/^AUTH_SECRET=[ \t]*$/m, `AUTH_SECRET=${secret}`);
  writeFileSync(envFile, text, { mode: 0o600 });
  console.log("up: created .env from .env.example with a new AUTH_SECRET");
}

function onPath(binary: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir === "") continue;
    const candidate = path.join(dir, binary);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

interface Args {
  readonly builtin: boolean;
  readonly file: string;
}

function parseArgs(argv: readonly string[]): Args {
  let builtin = false;
  let file = path.join(ROOT, "process-compose.yaml");
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === "--builtin") builtin = true;
    else if (arg === "--file" || arg === "-f") {
      const value = argv[i + 1];
      if (value === undefined) fail(`${arg} needs a path`);
      file = path.resolve(value);
      i += 1;
    } else fail(`unknown argument ${arg}; known: --builtin, --file <path>`);
  }
  return { builtin, file };
}

/** Hands the terminal to process-compose and mirrors its exit status. */
function runProcessCompose(binary: string, file: string): void {
  console.log(`up: starting ${path.relative(ROOT, file)} with ${binary}`);
  const child = spawn(binary, ["up", "-f", file], { stdio: "inherit", cwd: ROOT, env: process.env });
  // Ctrl-C reaches process-compose directly through the terminal; it shuts its processes down.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  child.once("error", (error) => fail(`could not run process-compose: ${error.message}`));
  child.once("exit", (code, signal) => process.exit(code ?? (signal === null ? 1 : 0)));
}

function banner(port: string): string {
  const lines = [`Venture is running: http://localhost:${port}`];
  if (existsSync(CREDENTIALS_FILE)) {
    lines.push("", ...readFileSync(CREDENTIALS_FILE, "utf8").trimEnd().split("\n"));
  } else {
    lines.push(
      "",
      `(no sign-in details yet: the seed step writes them to ${path.relative(ROOT, CREDENTIALS_FILE)})`,
    );
  }
  lines.push("", "Stop everything with Ctrl-C.");
  const width = Math.max(...lines.map((line) => line.length)) + 4;
  const rule = "=".repeat(width);
  return ["", rule, ...lines.map((line) => (line === "" ? "" : `  ${line}`)), rule, ""].join("\n");
}

async function runBuiltin(file: string): Promise<void> {
  let config: ReturnType<typeof parseCompose>;
  try {
    config = parseCompose(readFileSync(file, "utf8"), path.dirname(file));
  } catch (error) {
    if (error instanceof ComposeError) fail(`${path.relative(ROOT, file)}: ${error.message}`);
    throw error;
  }
  const color = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
  const web = config.processes.get("web");
  const port = web?.environment.PORT ?? process.env.PORT ?? "3000";
  // The banner needs both a healthy web server and the seed's sign-in details, in either order.
  let webReady = false;
  let seedDone = !config.processes.has("seed");
  let bannerShown = false;
  const maybeBanner = (): void => {
    if (bannerShown || !webReady || !seedDone) return;
    bannerShown = true;
    process.stdout.write(banner(port));
  };
  const runner = new ComposeRunner({
    config,
    baseEnv: process.env,
    output: process.stdout,
    color,
    label: "up",
    onEvent: (event) => {
      if (event.type === "ready" && event.name === "web") webReady = true;
      if (event.type === "ended" && event.name === "seed") seedDone = true;
      maybeBanner();
    },
  });
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    if (signals === 1) {
      void runner.stop(`received ${signal}`);
      return;
    }
    // A second Ctrl-C means "now": no more waiting for graceful shutdowns.
    runner.log("up", "killing everything");
    runner.kill();
    process.exit(130);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("SIGHUP", onSignal);
  // Should this process die some other way, its children must not outlive it.
  process.on("exit", () => runner.kill());
  const result = await runner.run();
  runner.log("up", result.code === 0 ? `done: ${result.reason}` : `failed: ${result.reason}`);
  process.exit(result.code);
}

async function main(): Promise<void> {
  process.chdir(ROOT);
  const args = parseArgs(process.argv.slice(2));
  if (!existsSync(args.file)) fail(`${args.file} does not exist`);
  ensureEnvFile(ROOT);
  // Values already in the environment win over .env, so `DATABASE_URL=... npm run up` works.
  process.loadEnvFile(path.join(ROOT, ".env"));
  const processCompose = args.builtin ? undefined : onPath("process-compose");
  if (processCompose !== undefined) return runProcessCompose(processCompose, args.file);
  return runBuiltin(args.file);
}

main().catch((error: unknown) =>
  fail(error instanceof Error ? (error.stack ?? error.message) : String(error)),
);

/**
 * A small supervisor for `process-compose.yaml`.
 *
 * `npm run up` prefers the real process-compose binary, but it is packaged neither for Debian nor
 * for npm, so most machines of this project do not have it. This module reads the same file and
 * implements the part of its format the project uses: `depends_on` with the conditions
 * process_started, process_healthy, process_completed and process_completed_successfully;
 * `readiness_probe` with `exec` or `http_get`; `availability` (restart policy, backoff, bounded
 * restarts, exit_on_end); `shutdown` (signal, timeout, command); `environment`; `working_dir`;
 * `disabled`. Keys it does not implement are reported as warnings rather than silently ignored.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { constants as osConstants } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { parse as parseYaml } from "yaml";

export const DEPENDENCY_CONDITIONS = [
  "process_started",
  "process_healthy",
  "process_completed",
  "process_completed_successfully",
] as const;
export type DependencyCondition = (typeof DEPENDENCY_CONDITIONS)[number];

export const RESTART_POLICIES = ["no", "always", "on_failure", "exit_on_failure"] as const;
export type RestartPolicy = (typeof RESTART_POLICIES)[number];

/**
 * process-compose treats `max_restarts: 0` (its default) as "restart forever". A crash loop that
 * never ends hides the first error under thousands of lines, so this runner bounds it.
 */
export const RESTART_COUNT_MAX_DEFAULT = 10;

export interface Dependency {
  readonly name: string;
  readonly condition: DependencyCondition;
}

export type ProbeCheck =
  | { readonly kind: "exec"; readonly command: string; readonly workingDir: string | undefined }
  | { readonly kind: "http"; readonly url: string; readonly statusCode: number };

export interface Probe {
  readonly check: ProbeCheck;
  readonly initialDelaySeconds: number;
  readonly periodSeconds: number;
  readonly timeoutSeconds: number;
  readonly successThreshold: number;
  readonly failureThreshold: number;
}

export interface Availability {
  readonly restart: RestartPolicy;
  readonly backoffSeconds: number;
  readonly restartCountMax: number;
  readonly exitOnEnd: boolean;
}

export interface Shutdown {
  readonly signal: NodeJS.Signals;
  readonly timeoutSeconds: number;
  readonly command: string | undefined;
}

export interface ProcessSpec {
  readonly name: string;
  readonly command: string;
  readonly workingDir: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly dependsOn: readonly Dependency[];
  readonly readinessProbe: Probe | undefined;
  readonly availability: Availability;
  readonly shutdown: Shutdown;
}

export interface ComposeConfig {
  readonly version: string;
  readonly environment: Readonly<Record<string, string>>;
  /** Enabled processes in declaration order. */
  readonly processes: ReadonlyMap<string, ProcessSpec>;
  readonly warnings: readonly string[];
}

/** Every problem in the file is reported with this type, naming the process and key at fault. */
export class ComposeError extends Error {
  override name = "ComposeError";
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readString(obj: Json, key: string, where: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw new ComposeError(`${where}.${key} must be a string, got ${JSON.stringify(value)}`);
  }
  return value;
}

function readNumber(obj: Json, key: string, where: string, fallback: number, minimum: number): number {
  const raw = obj[key];
  if (raw === undefined || raw === null) return fallback;
  // YAML authors often quote numbers ("3000"); process-compose accepts them, so do we.
  const value = typeof raw === "string" && raw.trim() !== "" ? Number(raw) : raw;
  if (typeof value !== "number" || !Number.isFinite(value) || value < minimum) {
    throw new ComposeError(`${where}.${key} must be a number >= ${minimum}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

function readBoolean(obj: Json, key: string, where: string, fallback: boolean): boolean {
  const value = obj[key];
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") {
    throw new ComposeError(`${where}.${key} must be true or false, got ${JSON.stringify(value)}`);
  }
  return value;
}

function readRecord(obj: Json, key: string, where: string): Json | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw new ComposeError(`${where}.${key} must be a mapping`);
  return value;
}

/** Accepts process-compose's list form (`- KEY=value`) and, for convenience, a mapping. */
export function parseEnvironment(value: unknown, where: string): Record<string, string> {
  const env: Record<string, string> = {};
  if (value === undefined || value === null) return env;
  if (Array.isArray(value)) {
    for (const entry of value) {
      if (typeof entry !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*=/.test(entry)) {
        throw new ComposeError(`${where}: entry ${JSON.stringify(entry)} is not KEY=value`);
      }
      const eq = entry.indexOf("=");
      env[entry.slice(0, eq)] = entry.slice(eq + 1);
    }
    return env;
  }
  if (isRecord(value)) {
    for (const [key, raw] of Object.entries(value)) {
      if (typeof raw !== "string" && typeof raw !== "number" && typeof raw !== "boolean") {
        throw new ComposeError(`${where}.${key} must be a scalar`);
      }
      env[key] = String(raw);
    }
    return env;
  }
  throw new ComposeError(`${where} must be a list of KEY=value strings`);
}

const SIGNAL_NAMES: ReadonlyMap<number, NodeJS.Signals> = new Map(
  Object.entries(osConstants.signals).map(([name, num]) => [num, name as NodeJS.Signals]),
);

/** process-compose writes signals as numbers (15); names ("SIGTERM") are accepted too. */
export function parseSignal(value: unknown, where: string): NodeJS.Signals {
  if (value === undefined || value === null) return "SIGTERM";
  if (typeof value === "number") {
    const name = SIGNAL_NAMES.get(value);
    if (name !== undefined) return name;
  }
  if (typeof value === "string") {
    const upper = value.toUpperCase();
    const name = upper.startsWith("SIG") ? upper : `SIG${upper}`;
    if (name in osConstants.signals) return name as NodeJS.Signals;
  }
  throw new ComposeError(`${where}.signal: unknown signal ${JSON.stringify(value)}`);
}

/**
 * Parses a `readiness_probe` block. Defaults are process-compose's (which follow Kubernetes):
 * no initial delay, every 10 s, 1 s timeout, 1 success to pass, 3 failures to fail. Fractions
 * of a second are accepted here (tests use them) although process-compose wants whole seconds.
 */
export function parseProbe(raw: unknown, where: string): Probe {
  if (!isRecord(raw)) throw new ComposeError(`${where} must be a mapping`);
  const exec = readRecord(raw, "exec", where);
  const http = readRecord(raw, "http_get", where);
  if ((exec === undefined) === (http === undefined)) {
    throw new ComposeError(`${where} needs exactly one of exec or http_get`);
  }
  let check: ProbeCheck;
  if (exec !== undefined) {
    const command = readString(exec, "command", `${where}.exec`);
    if (command === undefined || command.trim() === "") {
      throw new ComposeError(`${where}.exec.command is required`);
    }
    check = { kind: "exec", command, workingDir: readString(exec, "working_dir", `${where}.exec`) };
  } else {
    const h = http as Json;
    const hw = `${where}.http_get`;
    const scheme = readString(h, "scheme", hw) ?? "http";
    if (scheme !== "http" && scheme !== "https") {
      throw new ComposeError(`${hw}.scheme must be http or https, got ${scheme}`);
    }
    const host = readString(h, "host", hw) ?? "127.0.0.1";
    const port = readNumber(h, "port", hw, Number.NaN, 1);
    if (Number.isNaN(port) || !Number.isInteger(port) || port > 65535) {
      throw new ComposeError(`${hw}.port is required and must be a TCP port`);
    }
    const rawPath = readString(h, "path", hw) ?? "/";
    const pathPart = rawPath.startsWith("/") ? rawPath : `/${rawPath}`;
    // An IPv6 literal needs brackets inside a URL.
    const hostPart = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
    // Like process-compose, the probe passes on one exact status, 200 unless status_code says.
    const statusCode = readNumber(h, "status_code", hw, 200, 0);
    check = {
      kind: "http",
      url: `${scheme}://${hostPart}:${port}${pathPart}`,
      statusCode: statusCode < 100 || statusCode > 400 ? 200 : statusCode,
    };
  }
  return {
    check,
    initialDelaySeconds: readNumber(raw, "initial_delay_seconds", where, 0, 0),
    periodSeconds: readNumber(raw, "period_seconds", where, 10, 0.05),
    timeoutSeconds: readNumber(raw, "timeout_seconds", where, 1, 0.05),
    successThreshold: readNumber(raw, "success_threshold", where, 1, 1),
    failureThreshold: readNumber(raw, "failure_threshold", where, 3, 1),
  };
}

function parseDependsOn(raw: unknown, where: string): Dependency[] {
  if (raw === undefined || raw === null) return [];
  if (!isRecord(raw)) throw new ComposeError(`${where} must be a mapping of process names`);
  const deps: Dependency[] = [];
  for (const [name, value] of Object.entries(raw)) {
    const condition = isRecord(value) && value.condition !== undefined ? value.condition : "process_started";
    if (!(DEPENDENCY_CONDITIONS as readonly unknown[]).includes(condition)) {
      throw new ComposeError(
        `${where}.${name}.condition must be one of ${DEPENDENCY_CONDITIONS.join(", ")}, got ${JSON.stringify(condition)}`,
      );
    }
    deps.push({ name, condition: condition as DependencyCondition });
  }
  return deps;
}

function parseAvailability(raw: Json | undefined, where: string): Availability {
  const obj = raw ?? {};
  // YAML 1.1 readers turn a bare `no` into false; accept that spelling of "no" as well.
  const rawRestart = obj.restart === false ? "no" : (obj.restart ?? "no");
  if (!(RESTART_POLICIES as readonly unknown[]).includes(rawRestart)) {
    throw new ComposeError(
      `${where}.restart must be one of ${RESTART_POLICIES.join(", ")}, got ${JSON.stringify(rawRestart)}`,
    );
  }
  const declaredMax = readNumber(obj, "max_restarts", where, 0, 0);
  return {
    restart: rawRestart as RestartPolicy,
    backoffSeconds: readNumber(obj, "backoff_seconds", where, 1, 0),
    restartCountMax: declaredMax === 0 ? RESTART_COUNT_MAX_DEFAULT : declaredMax,
    exitOnEnd: readBoolean(obj, "exit_on_end", where, false),
  };
}

/** Keys of process-compose that change behaviour but that this runner does not implement. */
const UNSUPPORTED_PROCESS_KEYS = ["liveness_probe", "is_daemon", "replicas", "is_tty", "ready_log_line"];

/**
 * Parses and validates a process-compose file. `baseDir` is the folder relative working
 * directories are resolved against (process-compose uses the file's folder).
 */
export function parseCompose(text: string, baseDir: string): ComposeConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (error) {
    throw new ComposeError(`not valid YAML: ${(error as Error).message}`);
  }
  if (!isRecord(doc)) throw new ComposeError("the file must be a mapping with a processes key");
  const rawProcesses = readRecord(doc, "processes", "file");
  if (rawProcesses === undefined || Object.keys(rawProcesses).length === 0) {
    throw new ComposeError("the file declares no processes");
  }
  const warnings: string[] = [];
  const processes = new Map<string, ProcessSpec>();
  const disabled = new Set<string>();
  for (const [name, raw] of Object.entries(rawProcesses)) {
    const where = `processes.${name}`;
    if (!isRecord(raw)) throw new ComposeError(`${where} must be a mapping`);
    if (readBoolean(raw, "disabled", where, false)) {
      disabled.add(name);
      continue;
    }
    const command = readString(raw, "command", where);
    if (command === undefined || command.trim() === "") {
      throw new ComposeError(`${where}.command is required`);
    }
    for (const key of UNSUPPORTED_PROCESS_KEYS) {
      if (raw[key] !== undefined) warnings.push(`${where}.${key} is ignored by the built-in runner`);
    }
    const shutdownRaw = readRecord(raw, "shutdown", where) ?? {};
    const probeRaw = raw.readiness_probe;
    const workingDir = readString(raw, "working_dir", where);
    processes.set(name, {
      name,
      command,
      workingDir: workingDir === undefined ? baseDir : path.resolve(baseDir, workingDir),
      environment: parseEnvironment(raw.environment, `${where}.environment`),
      dependsOn: parseDependsOn(raw.depends_on, `${where}.depends_on`),
      readinessProbe:
        probeRaw === undefined || probeRaw === null
          ? undefined
          : parseProbe(probeRaw, `${where}.readiness_probe`),
      availability: parseAvailability(readRecord(raw, "availability", where), `${where}.availability`),
      shutdown: {
        signal: parseSignal(shutdownRaw.signal, `${where}.shutdown`),
        timeoutSeconds: readNumber(shutdownRaw, "timeout_seconds", `${where}.shutdown`, 10, 0),
        command: readString(shutdownRaw, "command", `${where}.shutdown`),
      },
    });
  }
  for (const spec of processes.values()) {
    for (const dep of spec.dependsOn) {
      if (disabled.has(dep.name)) {
        throw new ComposeError(`process '${spec.name}' depends on disabled process '${dep.name}'`);
      }
    }
  }
  const version = doc.version === undefined ? "" : String(doc.version);
  const config: ComposeConfig = {
    version,
    environment: parseEnvironment(doc.environment, "environment"),
    processes,
    warnings,
  };
  // Validate the graph now so that a bad file fails before anything is started.
  startOrder(config);
  return config;
}

/**
 * Returns the process names in an order where every process comes after all of its
 * dependencies, keeping declaration order among independent processes so output is predictable.
 * Throws a ComposeError naming the processes of an unknown dependency or of a cycle.
 */
export function startOrder(config: Pick<ComposeConfig, "processes">): string[] {
  const { processes } = config;
  for (const spec of processes.values()) {
    for (const dep of spec.dependsOn) {
      if (!processes.has(dep.name)) {
        throw new ComposeError(`process '${spec.name}' depends on unknown process '${dep.name}'`);
      }
      if (dep.name === spec.name) {
        throw new ComposeError(`dependency cycle: ${spec.name} -> ${spec.name}`);
      }
    }
  }
  // Depth-first search with three colours; a grey node met again closes a cycle, and the stack
  // between its two visits is the cycle to report.
  const colour = new Map<string, "grey" | "black">();
  const stack: string[] = [];
  const order: string[] = [];
  const visit = (name: string): void => {
    const state = colour.get(name);
    if (state === "black") return;
    if (state === "grey") {
      const cycle = [...stack.slice(stack.indexOf(name)), name];
      throw new ComposeError(`dependency cycle: ${cycle.join(" -> ")}`);
    }
    colour.set(name, "grey");
    stack.push(name);
    for (const dep of (processes.get(name) as ProcessSpec).dependsOn) visit(dep.name);
    stack.pop();
    colour.set(name, "black");
    order.push(name);
  };
  for (const name of processes.keys()) visit(name);
  return order;
}

/**
 * Depth of each process in the dependency graph (0 = depends on nothing). Shutdown stops the
 * deepest level first, so a worker is gone before the database it writes to.
 */
export function dependencyLevels(config: Pick<ComposeConfig, "processes">): Map<string, number> {
  const levels = new Map<string, number>();
  for (const name of startOrder(config)) {
    const spec = config.processes.get(name) as ProcessSpec;
    let level = 0;
    for (const dep of spec.dependsOn) level = Math.max(level, (levels.get(dep.name) ?? 0) + 1);
    levels.set(name, level);
  }
  return levels;
}

/** Names of the processes that list `name` in their depends_on. */
export function dependentsOf(config: Pick<ComposeConfig, "processes">, name: string): string[] {
  return [...config.processes.values()]
    .filter((spec) => spec.dependsOn.some((dep) => dep.name === name))
    .map((spec) => spec.name);
}

/** process-compose runs commands with bash; fall back to sh where bash is missing. */
export function defaultShell(): string {
  return existsSync("/bin/bash") ? "/bin/bash" : "/bin/sh";
}

export interface ProbeContext {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly shell: string;
}

/** Signals a whole process group; a group that is already gone is not an error. */
export function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Runs one probe attempt; resolves true on success and never rejects. */
export async function runProbe(probe: Probe, ctx: ProbeContext): Promise<boolean> {
  const timeoutMs = probe.timeoutSeconds * 1000;
  const { check } = probe;
  if (check.kind === "http") {
    try {
      const response = await fetch(check.url, {
        signal: AbortSignal.timeout(timeoutMs),
        redirect: "manual",
      });
      // Drain the body so the socket is released; its content does not matter.
      await response.arrayBuffer();
      return response.status === check.statusCode;
    } catch {
      return false;
    }
  }
  return new Promise<boolean>((resolve) => {
    const child = spawn(ctx.shell, ["-c", check.command], {
      cwd: check.workingDir === undefined ? ctx.cwd : path.resolve(ctx.cwd, check.workingDir),
      env: ctx.env,
      // Its own group, so a probe that hangs is killed with everything it started.
      detached: true,
      stdio: "ignore",
    });
    const timer = setTimeout(() => {
      if (child.pid !== undefined) signalGroup(child.pid, "SIGKILL");
    }, timeoutMs);
    child.once("error", () => {
      clearTimeout(timer);
      resolve(false);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code === 0);
    });
  });
}

/** Where prefixed output goes; process.stdout fits, and so does a test's collector. */
export interface Sink {
  write(text: string): unknown;
}

export type RunnerEvent =
  | { readonly type: "started"; readonly name: string; readonly pid: number }
  | { readonly type: "ready"; readonly name: string }
  | {
      readonly type: "ended";
      readonly name: string;
      readonly exit: string;
      readonly succeeded: boolean;
    };

export interface RunnerOptions {
  readonly config: ComposeConfig;
  /** Environment every process inherits before the file's own `environment` entries. */
  readonly baseEnv: NodeJS.ProcessEnv;
  readonly output: Sink;
  readonly color: boolean;
  readonly onEvent?: (event: RunnerEvent) => void;
  readonly shell?: string;
  /** Name the runner's own lines are prefixed with. */
  readonly label?: string;
}

export interface RunResult {
  readonly code: number;
  readonly reason: string;
}

type Phase =
  | "pending"
  | "running"
  | "restarting"
  | "stopping"
  | "completed"
  | "failed"
  | "stopped"
  | "skipped";

const TERMINAL: ReadonlySet<Phase> = new Set(["completed", "failed", "stopped", "skipped"]);

interface Slot {
  readonly spec: ProcessSpec;
  phase: Phase;
  child: ChildProcess | undefined;
  pid: number | undefined;
  started: boolean;
  ready: boolean;
  restarts: number;
  /** Bumped on every spawn so that probe loops and timers of an earlier run stop acting. */
  generation: number;
  probeFailed: boolean;
  lastExit: string;
  exited: Promise<void>;
  markExited: () => void;
  restartTimer: NodeJS.Timeout | undefined;
}

const COLOURS = [36, 33, 32, 35, 34, 96, 93, 92, 95, 94, 91, 37] as const;

function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return code !== null ? `exit code ${code}` : `signal ${signal ?? "unknown"}`;
}

/**
 * Starts the processes of a ComposeConfig in dependency order, supervises them and stops them in
 * reverse order. One instance runs once: call run(), and stop() or kill() from signal handlers.
 */
export class ComposeRunner {
  private readonly config: ComposeConfig;
  private readonly options: RunnerOptions;
  private readonly shell: string;
  private readonly order: string[];
  private readonly slots = new Map<string, Slot>();
  private readonly prefixes = new Map<string, string>();
  private readonly abort = new AbortController();
  private stopping: Promise<void> | undefined;
  private result: RunResult | undefined;
  private finish: (result: RunResult) => void = () => {};
  private readonly done: Promise<RunResult>;

  constructor(options: RunnerOptions) {
    this.options = options;
    this.config = options.config;
    this.shell = options.shell ?? defaultShell();
    this.order = startOrder(this.config);
    const label = options.label ?? "compose";
    const width = Math.max(label.length, ...[...this.config.processes.keys()].map((n) => n.length));
    [label, ...this.config.processes.keys()].forEach((name, index) => {
      const padded = name.padEnd(width);
      const colour = COLOURS[index % COLOURS.length];
      this.prefixes.set(name, options.color ? `\u001b[${colour}m${padded}\u001b[0m` : padded);
    });
    for (const spec of this.config.processes.values()) {
      this.slots.set(spec.name, this.newSlot(spec));
    }
    this.done = new Promise((resolve) => {
      this.finish = resolve;
    });
  }

  private newSlot(spec: ProcessSpec): Slot {
    const slot: Slot = {
      spec,
      phase: "pending",
      child: undefined,
      pid: undefined,
      started: false,
      ready: false,
      restarts: 0,
      generation: 0,
      probeFailed: false,
      lastExit: "",
      exited: Promise.resolve(),
      markExited: () => {},
      restartTimer: undefined,
    };
    return slot;
  }

  /** Writes one line under a process's (or the runner's) coloured name. */
  log(name: string, line: string): void {
    const prefix = this.prefixes.get(name) ?? this.prefixes.get(this.options.label ?? "compose");
    this.options.output.write(`${prefix} | ${line}\n`);
  }

  private say(line: string): void {
    this.log(this.options.label ?? "compose", line);
  }

  /** Current phase of a process, for callers that print summaries. */
  phaseOf(name: string): Phase | undefined {
    return this.slots.get(name)?.phase;
  }

  run(): Promise<RunResult> {
    for (const warning of this.config.warnings) this.say(`warning: ${warning}`);
    this.schedule();
    return this.done;
  }

  /** Graceful stop of everything, deepest dependents first. Safe to call more than once. */
  stop(reason: string, code = 0): Promise<void> {
    if (this.stopping !== undefined) return this.stopping;
    this.result = { code, reason };
    this.abort.abort();
    this.say(`stopping: ${reason}`);
    this.stopping = this.stopAll().then(() => {
      this.finish(this.result ?? { code, reason });
    });
    return this.stopping;
  }

  /** Immediate SIGKILL of every process group, for a second Ctrl-C or the runner's own exit. */
  kill(): void {
    for (const slot of this.slots.values()) {
      if (slot.pid !== undefined) signalGroup(slot.pid, "SIGKILL");
    }
  }

  private emit(event: RunnerEvent): void {
    this.options.onEvent?.(event);
  }

  private schedule(): void {
    if (this.stopping !== undefined) return;
    for (const name of this.order) {
      const slot = this.slots.get(name) as Slot;
      if (slot.phase !== "pending") continue;
      const verdict = this.dependencyVerdict(slot);
      if (verdict === "go") {
        this.spawnSlot(slot);
      } else if (verdict !== "wait") {
        slot.phase = "skipped";
        void this.stop(`process '${name}' cannot start: ${verdict}`, 1);
        return;
      }
    }
    const slots = [...this.slots.values()];
    if (slots.every((slot) => TERMINAL.has(slot.phase))) {
      const failed = slots.filter((slot) => slot.phase === "failed").map((s) => s.spec.name);
      this.result = failed.length
        ? { code: 1, reason: `failed: ${failed.join(", ")}` }
        : { code: 0, reason: "all processes completed" };
      this.abort.abort();
      this.finish(this.result);
    }
  }

  /** 'go' when every dependency is satisfied, 'wait' when one may still be, else why not. */
  private dependencyVerdict(slot: Slot): "go" | "wait" | string {
    let verdict: "go" | "wait" = "go";
    for (const dep of slot.spec.dependsOn) {
      const other = this.slots.get(dep.name) as Slot;
      const ended = TERMINAL.has(other.phase);
      const name = `'${dep.name}'`;
      switch (dep.condition) {
        case "process_started":
          if (other.started) continue;
          if (ended) return `${name} was never started`;
          break;
        case "process_healthy":
          // Without a probe there is nothing to wait for beyond the start, as in process-compose.
          if (other.spec.readinessProbe === undefined ? other.started : other.ready) continue;
          if (ended) return `${name} ended (${other.lastExit || other.phase}) before it was healthy`;
          break;
        case "process_completed":
          if (other.phase === "completed" || other.phase === "failed") continue;
          if (ended) return `${name} did not run to completion`;
          break;
        case "process_completed_successfully":
          if (other.phase === "completed") continue;
          if (ended) return `${name} did not complete successfully (${other.lastExit || other.phase})`;
          break;
      }
      verdict = "wait";
    }
    return verdict;
  }

  private envFor(spec: ProcessSpec): NodeJS.ProcessEnv {
    return {
      ...this.options.baseEnv,
      ...this.config.environment,
      ...spec.environment,
      PC_PROC_NAME: spec.name,
    };
  }

  private spawnSlot(slot: Slot): void {
    const { spec } = slot;
    slot.generation += 1;
    const generation = slot.generation;
    slot.phase = "running";
    slot.started = true;
    slot.ready = false;
    slot.probeFailed = false;
    slot.exited = new Promise((resolve) => {
      slot.markExited = resolve;
    });
    const child = spawn(this.shell, ["-c", spec.command], {
      cwd: spec.workingDir,
      env: this.envFor(spec),
      // A group of its own: stopping kills everything the command started (npm -> node -> ...),
      // and a Ctrl-C in the terminal reaches only this runner, which then stops in order.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    slot.child = child;
    slot.pid = child.pid;
    for (const stream of [child.stdout, child.stderr]) {
      if (stream === null) continue;
      const lines = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
      lines.on("line", (line) => this.log(spec.name, line));
    }
    let ended = false;
    const onEnd = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (ended) return;
      ended = true;
      this.onExit(slot, generation, code, signal);
    };
    child.once("error", (error) => {
      this.log(spec.name, `could not start: ${error.message}`);
      onEnd(127, null);
    });
    child.once("exit", onEnd);
    if (child.pid === undefined) return;
    this.emit({ type: "started", name: spec.name, pid: child.pid });
    if (spec.readinessProbe !== undefined) {
      void this.probeLoop(slot, spec.readinessProbe, generation);
    }
  }

  private async probeLoop(slot: Slot, probe: Probe, generation: number): Promise<void> {
    const current = (): boolean =>
      slot.generation === generation && slot.phase === "running" && this.stopping === undefined;
    await delay(probe.initialDelaySeconds * 1000, this.abort.signal);
    let successes = 0;
    let failures = 0;
    const ctx: ProbeContext = { env: this.envFor(slot.spec), cwd: slot.spec.workingDir, shell: this.shell };
    while (current()) {
      const ok = await runProbe(probe, ctx);
      if (!current()) return;
      if (ok) {
        successes += 1;
        failures = 0;
        if (successes >= probe.successThreshold) {
          slot.ready = true;
          this.say(`${slot.spec.name} is healthy`);
          this.emit({ type: "ready", name: slot.spec.name });
          this.schedule();
          // Readiness only gates dependents; after that the process's exit is what we watch.
          return;
        }
      } else {
        failures += 1;
        successes = 0;
        if (failures >= probe.failureThreshold) {
          this.say(`${slot.spec.name}: readiness probe failed ${failures} times, stopping it`);
          slot.probeFailed = true;
          await this.terminate(slot);
          return;
        }
      }
      await delay(probe.periodSeconds * 1000, this.abort.signal);
    }
  }

  private onExit(slot: Slot, generation: number, code: number | null, signal: NodeJS.Signals | null): void {
    if (generation !== slot.generation) return;
    const { spec } = slot;
    slot.child = undefined;
    slot.ready = false;
    // Forget the group id once the group is empty, so a later kill() cannot hit a reused id.
    if (slot.pid !== undefined && !signalGroup(slot.pid, 0)) slot.pid = undefined;
    slot.markExited();
    const failed = slot.probeFailed || code !== 0;
    slot.lastExit = slot.probeFailed ? "readiness probe failed" : describeExit(code, signal);
    if (this.stopping !== undefined || slot.phase === "stopping") {
      slot.phase = "stopped";
      this.log(spec.name, `stopped (${slot.lastExit})`);
      return;
    }
    this.say(`${spec.name} ended with ${slot.lastExit}`);
    const { availability } = spec;
    if (availability.restart === "exit_on_failure" && failed) {
      slot.phase = "failed";
      this.emit({ type: "ended", name: spec.name, exit: slot.lastExit, succeeded: false });
      void this.stop(`process '${spec.name}' failed (${slot.lastExit})`, 1);
      return;
    }
    const wantsRestart =
      availability.restart === "always" || (availability.restart === "on_failure" && failed);
    if (wantsRestart && slot.restarts < availability.restartCountMax) {
      slot.restarts += 1;
      slot.phase = "restarting";
      this.say(
        `restarting ${spec.name} in ${availability.backoffSeconds}s (restart ${slot.restarts} of ${availability.restartCountMax})`,
      );
      slot.restartTimer = setTimeout(() => {
        slot.restartTimer = undefined;
        if (this.stopping === undefined && slot.phase === "restarting") {
          this.spawnSlot(slot);
          this.schedule();
        }
      }, availability.backoffSeconds * 1000);
      return;
    }
    if (wantsRestart) this.say(`${spec.name}: giving up after ${slot.restarts} restarts`);
    slot.phase = failed ? "failed" : "completed";
    this.emit({ type: "ended", name: spec.name, exit: slot.lastExit, succeeded: !failed });
    if (availability.exitOnEnd) {
      void this.stop(`process '${spec.name}' ended (${slot.lastExit}) and has exit_on_end`, failed ? 1 : 0);
      return;
    }
    const dependents = dependentsOf(this.config, spec.name);
    if (failed && dependents.length > 0) {
      void this.stop(
        `process '${spec.name}' failed (${slot.lastExit}); ${dependents.map((d) => `'${d}'`).join(", ")} depend on it`,
        1,
      );
      return;
    }
    this.schedule();
  }

  /** Resolves true if the process exited within `ms`. */
  private async waitExit(slot: Slot, ms: number): Promise<boolean> {
    if (slot.child === undefined) return true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    const result = await Promise.race([slot.exited.then(() => true), timeout]);
    clearTimeout(timer);
    return result;
  }

  /**
   * Stops one process: the shutdown command or signal to its group, up to timeout_seconds for it
   * to leave, then SIGKILL. Members of the group that outlive the leader (a server under npm, say)
   * get the rest of the timeout before they are killed too.
   */
  private async terminate(slot: Slot): Promise<void> {
    const { pid } = slot;
    if (slot.child === undefined || pid === undefined) return;
    const { shutdown } = slot.spec;
    const deadline = Date.now() + shutdown.timeoutSeconds * 1000;
    if (shutdown.command !== undefined) {
      const probe: Probe = {
        check: { kind: "exec", command: shutdown.command, workingDir: undefined },
        initialDelaySeconds: 0,
        periodSeconds: 1,
        timeoutSeconds: Math.max(shutdown.timeoutSeconds, 1),
        successThreshold: 1,
        failureThreshold: 1,
      };
      await runProbe(probe, { env: this.envFor(slot.spec), cwd: slot.spec.workingDir, shell: this.shell });
    } else {
      signalGroup(pid, shutdown.signal);
    }
    if (!(await this.waitExit(slot, Math.max(deadline - Date.now(), 0)))) {
      this.log(slot.spec.name, `did not stop within ${shutdown.timeoutSeconds}s, killing it`);
      signalGroup(pid, "SIGKILL");
      await this.waitExit(slot, 5000);
    }
    while (signalGroup(pid, 0) && Date.now() < deadline) await delay(100);
    signalGroup(pid, "SIGKILL");
  }

  private async stopAll(): Promise<void> {
    for (const slot of this.slots.values()) {
      if (slot.restartTimer !== undefined) clearTimeout(slot.restartTimer);
      if (slot.phase === "pending") slot.phase = "skipped";
      if (slot.phase === "restarting") slot.phase = "stopped";
    }
    const levels = dependencyLevels(this.config);
    const deepest = Math.max(0, ...levels.values());
    for (let level = deepest; level >= 0; level -= 1) {
      const batch = [...this.slots.values()].filter(
        (slot) => levels.get(slot.spec.name) === level && slot.child !== undefined,
      );
      await Promise.all(
        batch.map((slot) => {
          slot.phase = "stopping";
          return this.terminate(slot);
        }),
      );
    }
  }
}

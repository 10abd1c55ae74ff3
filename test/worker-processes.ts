// Real worker processes for crash and fault tests: each worker's own main.ts started the way
// process-compose starts it, and killed or stopped with a real signal. Shared by
// workers/orchestrator/crash.int.test.ts, workers/_runtime/fail-closed.int.test.ts and the fault
// suite (test/faults/).
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Db } from "@/server/shared/db";
import { personalDataMasterKey } from "@/server/shared/events/personal-data-keys";

export type WorkerName = "outbox-relay" | "orchestrator" | "agent-runtime" | "artifact-compiler";

const root = path.resolve(import.meta.dirname, "..");

export type WorkerProcessOptions = {
  /** The environment on top of the test process's own; read at every start, so it may change. */
  env: () => Record<string, string>;
  /** Each chunk of the worker's stdout and stderr, prefixed with its name. */
  onOutput?: (line: string) => void;
  /**
   * Run the worker in a process group of its own, so `stop()` ends the subprocesses it started
   * (L3 steps) with it.
   */
  processGroup?: boolean;
};

/** One worker (`workers/<name>/main.ts`), started, killed and restarted by a test. */
export class WorkerProcess {
  child: ChildProcess | null = null;
  /** When the current process was spawned. */
  startedAt = new Date(0);
  starts = 0;
  kills = 0;
  /** Exits the test did not cause (a crash of the worker itself), with their exit code or signal. */
  readonly unexpectedExits: string[] = [];

  /**
   * The orchestrator runs the compliance job (ADR 0008, 0013): its keys, checkpoint copies and
   * packs go to a folder of this worker's own, never the developer's .data (copies of another
   * database there would fail the developer's verification). Kept across restarts.
   */
  private readonly auditDir = fs.mkdtempSync(path.join(os.tmpdir(), "venture-worker-audit-"));

  constructor(
    readonly name: WorkerName,
    private readonly options: WorkerProcessOptions,
  ) {}

  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  start(): void {
    // node with tsx's loader in-process (not the tsx CLI, which would put a second process between
    // the signal and the worker).
    const child = spawn(process.execPath, ["--import", "tsx", `workers/${this.name}/main.ts`], {
      cwd: root,
      env: {
        ...process.env,
        VENTURE_ENV_LOADED: "1",
        AUDIT_SIGNING_KEY_PATH: path.join(this.auditDir, "keys"),
        // One deployment, one personal-data master key: the test's own (ADR 0013).
        PII_MASTER_KEY: personalDataMasterKey().key.toString("base64"),
        ...this.options.env(),
      },
      stdio: ["ignore", "pipe", "pipe"],
      detached: this.options.processGroup ?? false,
    });
    const keep = (chunk: Buffer) => this.options.onOutput?.(`[${this.name}] ${chunk.toString().trim()}`);
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.once("exit", (code, signal) => {
      if (this.child === child) {
        this.unexpectedExits.push(`exit ${code ?? signal}`);
        this.child = null;
      }
    });
    this.child = child;
    this.startedAt = new Date();
    this.starts++;
  }

  /** Sends `signal` (SIGKILL: no drain, no cleanup) and waits for the process to be gone. */
  async kill(signal: NodeJS.Signals = "SIGKILL"): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.child = null;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill(signal);
    await exited;
    if (signal === "SIGKILL") this.kills++;
  }

  /**
   * Stops the worker as process-compose does (SIGTERM, so it drains) with its process group when it
   * has one, and waits for it to exit; SIGKILL after `graceMs`.
   */
  async stop(graceMs = 8_000): Promise<void> {
    const child = this.child;
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    this.child = null;
    const pid = child.pid;
    const target = this.options.processGroup ? -pid : pid;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    process.kill(target, "SIGTERM");
    const timer = setTimeout(() => {
      try {
        process.kill(target, "SIGKILL");
      } catch {}
    }, graceMs);
    await exited;
    clearTimeout(timer);
  }

  /** Up and working: this very process has written its heartbeat (so its start-up is behind it). */
  async heartbeatSeen(db: Db): Promise<boolean> {
    const pid = this.pid;
    if (pid === undefined) return false;
    const [row] = await db.$queryRawUnsafe<Array<{ n: number }>>(
      // started_at too, so a reused pid of an earlier process does not count.
      "SELECT count(*)::int AS n FROM worker_heartbeats WHERE worker = $1 AND pid = $2 AND started_at >= $3",
      this.name,
      pid,
      this.startedAt,
    );
    return (row?.n ?? 0) > 0;
  }
}

// The L3 supervisor (AGENT-005): runs one program per call as a supervised subprocess.
// - Its own process group (detached: true), so a timeout or the kill-switch reaches every process
//   it started, not only the first.
// - A scrubbed environment (PATH, HOME, TMPDIR, LANG and what the caller names explicitly: never
//   our secrets) and its own fresh working directory, removed afterwards.
// - Resource limits through the shell's ulimit before exec: CPU seconds, file size, open files and,
//   where the program tolerates it, address space.
// - A timeout: SIGTERM to the group, then SIGKILL after a grace period.
// - Output captured up to a bound per stream (the rest is counted, not kept).
// - The exit classified: ok (exit 0), failed (non-zero exit), timeout (our timeout or the CPU
//   limit), killed (any other signal: terminateAll, an abort, the kernel).
// terminateAll(reason) is the kill-switch's hook (CTRL-003): every running group gets SIGTERM, then
// SIGKILL after the grace period.
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";

export type ProcessOutcome = "ok" | "failed" | "timeout" | "killed";

export type ResourceLimits = {
  cpuSeconds: number;
  fileSizeBytes: number;
  openFiles: number;
  /** Address space; null leaves it unlimited (runtimes like node reserve large virtual ranges). */
  addressSpaceBytes: number | null;
};

export type SupervisedRun = {
  /** A program name from the supervisor's allowlist. */
  program: string;
  args?: readonly string[];
  stdin?: string;
  /** Files written into the working directory before the program starts (name → content). */
  files?: Record<string, string>;
  timeoutMs: number;
  graceMs?: number;
  maxOutputBytes?: number;
  limits?: Partial<ResourceLimits>;
  /** Extra environment variables, on top of the scrubbed base. */
  env?: Record<string, string>;
  signal?: AbortSignal;
};

export type SupervisedResult = {
  outcome: ProcessOutcome;
  exitCode: number | null;
  signal: string | null;
  durationMs: number;
  stdout: string;
  stderr: string;
  stdoutBytes: number;
  stderrBytes: number;
  truncated: boolean;
  reason: string | null;
};

export type SupervisorOptions = {
  /** Where working directories are made. */
  rootDir?: string;
  /** Allowed programs: name → absolute path. Nothing else runs. */
  programs: Record<string, string>;
  defaultLimits?: Partial<ResourceLimits>;
  defaultGraceMs?: number;
  defaultMaxOutputBytes?: number;
};

const baseLimits: ResourceLimits = {
  cpuSeconds: 30,
  fileSizeBytes: 16 * 1024 * 1024,
  openFiles: 256,
  addressSpaceBytes: null,
};

const envNamePattern = /^[A-Z_][A-Z0-9_]{0,63}$/;
/** Names a caller may not set: they would change how the program or the loader behaves. */
const reservedEnv = new Set(["PATH", "HOME", "TMPDIR", "LD_PRELOAD", "LD_LIBRARY_PATH", "NODE_OPTIONS"]);

type Running = { child: ChildProcess; kill(reason: string): void };

export class Supervisor {
  private readonly running = new Set<Running>();
  private readonly rootDir: string;
  private readonly graceMs: number;
  private readonly maxOutputBytes: number;

  constructor(private readonly options: SupervisorOptions) {
    this.rootDir = options.rootDir ?? path.join(os.tmpdir(), "venture-l3");
    this.graceMs = options.defaultGraceMs ?? 2_000;
    this.maxOutputBytes = options.defaultMaxOutputBytes ?? 64 * 1024;
  }

  get runningCount(): number {
    return this.running.size;
  }

  programs(): string[] {
    return Object.keys(this.options.programs);
  }

  /** SIGTERM to every running process group, SIGKILL after the grace period. Resolves at once. */
  terminateAll(reason: string): { terminated: number } {
    const all = [...this.running];
    for (const run of all) run.kill(reason);
    return { terminated: all.length };
  }

  async run(spec: SupervisedRun): Promise<SupervisedResult> {
    const programPath = this.options.programs[spec.program];
    if (!programPath)
      throw new Error(`Program ${spec.program} is not allowed (allowed: ${this.programs().join(", ")})`);
    const limits = { ...baseLimits, ...this.options.defaultLimits, ...spec.limits };
    const graceMs = spec.graceMs ?? this.graceMs;
    const maxOutput = spec.maxOutputBytes ?? this.maxOutputBytes;
    await fs.mkdir(this.rootDir, { recursive: true });
    const cwd = await fs.mkdtemp(path.join(this.rootDir, "run-"));
    try {
      for (const [name, content] of Object.entries(spec.files ?? {})) {
        if (!/^[A-Za-z0-9._-]{1,64}$/.test(name)) throw new Error(`File name ${name} is not allowed`);
        await fs.writeFile(path.join(cwd, name), content, { mode: 0o600 });
      }
      const env: Record<string, string> = {
        PATH: "/usr/local/bin:/usr/bin:/bin",
        HOME: cwd,
        TMPDIR: cwd,
        LANG: "C.UTF-8",
      };
      for (const [name, value] of Object.entries(spec.env ?? {})) {
        if (envNamePattern.test(name) && !reservedEnv.has(name)) env[name] = value;
      }
      const ulimits = [
        // Soft below hard: the soft limit sends SIGXCPU (classified as a timeout), the hard one
        // a second later SIGKILLs a program that ignores it.
        `ulimit -S -t ${Math.max(1, Math.ceil(limits.cpuSeconds))}`,
        `ulimit -H -t ${Math.max(1, Math.ceil(limits.cpuSeconds)) + 1}`,
        `ulimit -f ${Math.max(1, Math.ceil(limits.fileSizeBytes / 512))}`,
        `ulimit -n ${Math.max(16, limits.openFiles)}`,
        ...(limits.addressSpaceBytes ? [`ulimit -v ${Math.ceil(limits.addressSpaceBytes / 1024)}`] : []),
      ].join(" && ");
      return await this.spawnAndWait({
        ulimits,
        programPath,
        args: spec.args ?? [],
        cwd,
        env,
        spec,
        graceMs,
        maxOutput,
      });
    } finally {
      await fs.rm(cwd, { recursive: true, force: true }).catch(() => {});
    }
  }

  private spawnAndWait(o: {
    ulimits: string;
    programPath: string;
    args: readonly string[];
    cwd: string;
    env: Record<string, string>;
    spec: SupervisedRun;
    graceMs: number;
    maxOutput: number;
  }): Promise<SupervisedResult> {
    return new Promise((resolve) => {
      const started = performance.now();
      // The limits are set by the shell, which then becomes the program (exec): same pid, same group.
      const child = spawn("/bin/sh", ["-c", `${o.ulimits} && exec "$0" "$@"`, o.programPath, ...o.args], {
        cwd: o.cwd,
        // Only what we put in it: the type asks for NODE_ENV, which a child program must not get.
        env: o.env as unknown as NodeJS.ProcessEnv,
        detached: true,
        stdio: ["pipe", "pipe", "pipe"],
      });
      const out = {
        stdout: [] as Buffer[],
        stderr: [] as Buffer[],
        stdoutBytes: 0,
        stderrBytes: 0,
        kept: { stdout: 0, stderr: 0 },
      };
      const capture = (stream: "stdout" | "stderr") => (chunk: Buffer) => {
        if (stream === "stdout") out.stdoutBytes += chunk.length;
        else out.stderrBytes += chunk.length;
        const room = o.maxOutput - out.kept[stream];
        if (room > 0) {
          const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
          out[stream].push(part);
          out.kept[stream] += part.length;
        }
      };
      child.stdout!.on("data", capture("stdout"));
      child.stderr!.on("data", capture("stderr"));
      child.stdin!.on("error", () => {});
      child.stdin!.end(o.spec.stdin ?? "");

      let killedFor: { outcome: "timeout" | "killed"; reason: string } | null = null;
      let killTimer: NodeJS.Timeout | null = null;
      const signalGroup = (signal: NodeJS.Signals) => {
        try {
          if (child.pid) process.kill(-child.pid, signal);
        } catch {
          // ESRCH: the group is already gone.
        }
      };
      const kill = (outcome: "timeout" | "killed", reason: string) => {
        if (killedFor) return;
        killedFor = { outcome, reason };
        signalGroup("SIGTERM");
        killTimer = setTimeout(() => signalGroup("SIGKILL"), o.graceMs);
      };
      const entry: Running = { child, kill: (reason) => kill("killed", reason) };
      this.running.add(entry);
      const timeout = setTimeout(
        () => kill("timeout", `timed out after ${o.spec.timeoutMs} ms`),
        o.spec.timeoutMs,
      );
      const onAbort = () =>
        kill("killed", o.spec.signal?.reason instanceof Error ? o.spec.signal.reason.message : "aborted");
      if (o.spec.signal?.aborted) onAbort();
      else o.spec.signal?.addEventListener("abort", onAbort, { once: true });

      const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
        clearTimeout(timeout);
        if (killTimer) clearTimeout(killTimer);
        o.spec.signal?.removeEventListener("abort", onAbort);
        this.running.delete(entry);
        // Whatever the program left behind in its group goes with it.
        signalGroup("SIGKILL");
        const stdout = Buffer.concat(out.stdout).toString("utf8");
        const stderr = Buffer.concat(out.stderr).toString("utf8");
        const truncated = out.stdoutBytes > out.kept.stdout || out.stderrBytes > out.kept.stderr;
        const base = {
          exitCode: code,
          signal: signal ?? null,
          durationMs: Math.round(performance.now() - started),
          stdout,
          stderr,
          stdoutBytes: out.stdoutBytes,
          stderrBytes: out.stderrBytes,
          truncated,
        };
        if (spawnError)
          return resolve({ ...base, outcome: "failed", reason: `could not start: ${spawnError.message}` });
        const stopped = killedFor as { outcome: "timeout" | "killed"; reason: string } | null;
        if (stopped) return resolve({ ...base, outcome: stopped.outcome, reason: stopped.reason });
        if (signal === "SIGXCPU")
          return resolve({ ...base, outcome: "timeout", reason: "CPU time limit reached" });
        if (signal) return resolve({ ...base, outcome: "killed", reason: `ended by ${signal}` });
        if (code === 0) return resolve({ ...base, outcome: "ok", reason: null });
        return resolve({ ...base, outcome: "failed", reason: `exited with code ${code}` });
      };
      let settled = false;
      child.on("error", (error) => {
        if (settled) return;
        settled = true;
        finish(null, null, error);
      });
      child.on("close", (code, signal) => {
        if (settled) return;
        settled = true;
        finish(code, signal);
      });
    });
  }
}

/** The programs L3 may run here: the ones found on this machine. */
export async function defaultPrograms(): Promise<Record<string, string>> {
  const candidates: Record<string, string[]> = {
    sh: ["/bin/sh", "/usr/bin/sh"],
    node: [process.execPath],
    python3: ["/usr/bin/python3", "/usr/local/bin/python3"],
  };
  const found: Record<string, string> = {};
  for (const [name, paths] of Object.entries(candidates)) {
    for (const candidate of paths) {
      try {
        await fs.access(candidate, fs.constants.X_OK);
        found[name] = candidate;
        break;
      } catch {
        // Not here; try the next place.
      }
    }
  }
  return found;
}

// The L3 supervisor with real subprocesses (AGENT-005): exit classification, timeout with SIGTERM
// then SIGKILL, the kill-switch's terminateAll, process groups, limits, scrubbed environment, own
// working directory and bounded output.
import fs from "node:fs";
import { describe, expect, it } from "vitest";
import { defaultPrograms, Supervisor } from "./supervisor";

const programs = await defaultPrograms();
const supervisor = new Supervisor({ programs, defaultGraceMs: 300 });

const sh = (script: string, extra: Partial<Parameters<Supervisor["run"]>[0]> = {}) =>
  supervisor.run({ program: "sh", args: ["-c", script], timeoutMs: 5_000, ...extra });

/** Running (a zombie left for an init that does not reap counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

describe("L3 supervisor", () => {
  it("classifies a clean exit as ok and a non-zero exit as failed, with output", async () => {
    const ok = await sh("echo hello; echo oops >&2");
    expect(ok).toMatchObject({
      outcome: "ok",
      exitCode: 0,
      stdout: "hello\n",
      stderr: "oops\n",
      truncated: false,
    });
    const failed = await sh("exit 3");
    expect(failed).toMatchObject({ outcome: "failed", exitCode: 3, reason: "exited with code 3" });
  });

  it("times out with SIGTERM, and SIGKILLs a program that ignores it after the grace period", async () => {
    const polite = await sh("sleep 10", { timeoutMs: 200 });
    expect(polite).toMatchObject({ outcome: "timeout", signal: "SIGTERM" });
    const stubborn = await sh("trap '' TERM; while true; do sleep 0.05; done", {
      timeoutMs: 200,
      graceMs: 300,
    });
    expect(stubborn).toMatchObject({ outcome: "timeout", signal: "SIGKILL" });
    expect(stubborn.durationMs).toBeGreaterThanOrEqual(450);
  });

  it("terminates every process group on terminateAll, grandchildren included", async () => {
    const pidFile = `/tmp/venture-l3-test-${process.pid}-${Date.now()}`;
    const running = sh(`sleep 30 & echo $! > ${pidFile}; wait`, { timeoutMs: 20_000 });
    for (let i = 0; i < 100 && !fs.existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 50));
    const grandchild = Number(fs.readFileSync(pidFile, "utf8").trim());
    expect(alive(grandchild)).toBe(true);
    expect(supervisor.terminateAll("kill-switch").terminated).toBe(1);
    const result = await running;
    expect(result).toMatchObject({ outcome: "killed", reason: "kill-switch" });
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(grandchild)).toBe(false);
    fs.rmSync(pidFile, { force: true });
  });

  it("stops on an aborted signal", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("task paused")), 100);
    const result = await sh("sleep 10", { signal: controller.signal });
    expect(result).toMatchObject({ outcome: "killed", reason: "task paused" });
  });

  it("enforces resource limits: CPU time and file size", async () => {
    const cpu = await sh("while true; do :; done", { timeoutMs: 10_000, limits: { cpuSeconds: 1 } });
    expect(cpu).toMatchObject({ outcome: "timeout", reason: "CPU time limit reached" });
    const big = await sh("head -c 200000 /dev/zero > big.bin", { limits: { fileSizeBytes: 4_096 } });
    expect(big.outcome === "killed" || big.outcome === "failed").toBe(true);
  }, 20_000);

  it("scrubs the environment and gives each run its own working directory, removed afterwards", async () => {
    process.env.VENTURE_TEST_SECRET = "s3cret";
    try {
      const result = await sh("env; pwd", { env: { GREETING: "hi", PATH: "/evil" } });
      expect(result.stdout).not.toContain("s3cret");
      expect(result.stdout).not.toContain("DATABASE_URL");
      expect(result.stdout).toContain("GREETING=hi");
      expect(result.stdout).toContain("PATH=/usr/local/bin:/usr/bin:/bin");
      const cwd = result.stdout.trim().split("\n").at(-1)!;
      expect(cwd).toMatch(/venture-l3\/run-/);
      expect(fs.existsSync(cwd)).toBe(false);
    } finally {
      delete process.env.VENTURE_TEST_SECRET;
    }
  });

  it("keeps only the first bytes of large output and says so", async () => {
    const result = await supervisor.run({
      program: "sh",
      args: ["-c", "head -c 100000 /dev/zero | tr '\\0' x"],
      timeoutMs: 5_000,
      maxOutputBytes: 1_000,
    });
    expect(result.stdout).toHaveLength(1_000);
    expect(result.stdoutBytes).toBe(100_000);
    expect(result.truncated).toBe(true);
  });

  it("runs only allowed programs, with files written into its directory", async () => {
    await expect(supervisor.run({ program: "bash", timeoutMs: 1_000 })).rejects.toThrowError(/not allowed/);
    const node = await supervisor.run({
      program: "node",
      args: ["main.js"],
      files: { "main.js": "console.log(6 * 7)" },
      timeoutMs: 10_000,
    });
    expect(node).toMatchObject({ outcome: "ok", stdout: "42\n" });
  });
});

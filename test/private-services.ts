// Private Redis and NATS servers a test starts on ports of its own, so it can stop and restart them
// (fail-closed tests) while the shared services stay up for everything else. Real binaries, never
// fakes (STYLE 20): /usr/bin/redis-server, and /usr/sbin/nats-server with JetStream on a temporary
// store directory that survives a restart (streams and durable consumers come back as they were).
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export type PrivateServer = {
  url: string;
  port: number;
  running(): boolean;
  /**
   * Stops the server (SIGTERM, then SIGKILL after 5 s) and waits until its port is closed. With
   * "SIGKILL" it dies at once, without a clean shutdown (the fault suite's crash, test/faults/).
   */
  stop(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Starts it again on the same port (and, for NATS, the same store) and waits until it answers. */
  start(): Promise<void>;
  /** The server's output, for a failing test's message. */
  output(): string;
  /** Stops it and removes what it kept on disk. */
  dispose(): Promise<void>;
};

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port, timeout: 500 }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on("error", () => resolve(false));
    socket.on("timeout", () => {
      socket.destroy();
      resolve(false);
    });
  });
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`${what} not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function privateServer(options: {
  name: string;
  port: number;
  url: string;
  command: string;
  args: string[];
  dir: string | null;
}): PrivateServer {
  let child: ChildProcess | null = null;
  let exited: Promise<void> = Promise.resolve();
  const lines: string[] = [];
  const keep = (data: Buffer) => {
    lines.push(...data.toString("utf8").split("\n").filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  const server: PrivateServer = {
    url: options.url,
    port: options.port,
    running: () => child !== null,
    async start() {
      if (child) return;
      const started = spawn(options.command, options.args, { stdio: ["ignore", "pipe", "pipe"] });
      child = started;
      started.stdout?.on("data", keep);
      started.stderr?.on("data", keep);
      exited = new Promise<void>((resolve) => {
        started.once("exit", () => {
          if (child === started) child = null;
          resolve();
        });
      });
      await until(() => portAnswers(options.port), 15_000, `${options.name} on port ${options.port}`);
    },
    async stop(signal = "SIGTERM") {
      const running = child;
      if (!running?.pid) return;
      running.kill(signal);
      const killer = setTimeout(() => running.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(killer);
      await until(async () => !(await portAnswers(options.port)), 5_000, `${options.name} port closed`);
    },
    output: () => lines.join("\n"),
    async dispose() {
      await server.stop();
      if (options.dir) fs.rmSync(options.dir, { recursive: true, force: true });
    },
  };
  return server;
}

export async function startPrivateRedis(): Promise<PrivateServer> {
  const port = await freePort();
  const server = privateServer({
    name: "private Redis",
    port,
    url: `redis://127.0.0.1:${port}`,
    command: "/usr/bin/redis-server",
    args: [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "no",
    ],
    dir: null,
  });
  await server.start();
  return server;
}

export async function startPrivateNats(): Promise<PrivateServer> {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "venture-nats-"));
  const server = privateServer({
    name: "private NATS",
    port,
    url: `nats://127.0.0.1:${port}`,
    command: "/usr/sbin/nats-server",
    args: ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir],
    dir,
  });
  await server.start();
  return server;
}

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  ComposeError,
  ComposeRunner,
  dependencyLevels,
  parseCompose,
  parseProbe,
  type RunnerEvent,
  startOrder,
} from "./compose-runner.js";

const BASE = "/srv/app";

function compose(yaml: string) {
  return parseCompose(yaml, BASE);
}

function errorOf(fn: () => unknown): ComposeError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ComposeError) return error;
    throw error;
  }
  throw new Error("expected a ComposeError");
}

describe("dependency order", () => {
  it("starts every process after its dependencies, keeping declaration order otherwise", () => {
    const config = compose(`
version: "0.5"
processes:
  web:
    command: web
    depends_on:
      migrate: { condition: process_completed_successfully }
      redis: { condition: process_healthy }
  worker:
    command: worker
    depends_on:
      migrate: { condition: process_completed_successfully }
  migrate:
    command: migrate
    depends_on:
      postgres: { condition: process_healthy }
  postgres:
    command: postgres
  redis:
    command: redis
`);
    const order = startOrder(config);
    expect(order).toEqual(["postgres", "migrate", "redis", "web", "worker"]);
    const at = (name: string) => order.indexOf(name);
    expect(at("postgres")).toBeLessThan(at("migrate"));
    expect(at("migrate")).toBeLessThan(at("web"));
    expect(at("redis")).toBeLessThan(at("web"));
    expect(Object.fromEntries(dependencyLevels(config))).toEqual({
      postgres: 0,
      redis: 0,
      migrate: 1,
      web: 2,
      worker: 2,
    });
  });

  it("rejects a cycle and names every process on it", () => {
    const error = errorOf(() =>
      compose(`
processes:
  a: { command: a, depends_on: { b: { condition: process_started } } }
  b: { command: b, depends_on: { c: { condition: process_healthy } } }
  c: { command: c, depends_on: { a: { condition: process_completed } } }
  d: { command: d }
`),
    );
    expect(error.message).toBe("dependency cycle: a -> b -> c -> a");
  });

  it("rejects a process that depends on itself", () => {
    const error = errorOf(() => compose("processes:\n  a: { command: a, depends_on: { a: {} } }\n"));
    expect(error.message).toBe("dependency cycle: a -> a");
  });

  it("rejects an unknown dependency, naming both processes", () => {
    const error = errorOf(() =>
      compose(
        "processes:\n  web: { command: web, depends_on: { postgress: { condition: process_healthy } } }\n",
      ),
    );
    expect(error.message).toBe("process 'web' depends on unknown process 'postgress'");
  });

  it("rejects an unknown condition and says which ones exist", () => {
    const error = errorOf(() =>
      compose(
        "processes:\n  a: { command: a }\n  b: { command: b, depends_on: { a: { condition: healthy } } }\n",
      ),
    );
    expect(error.message).toContain("processes.b.depends_on.a.condition must be one of process_started");
  });
});

describe("probe parsing", () => {
  it("reads an exec probe with process-compose defaults for the timings", () => {
    expect(parseProbe({ exec: { command: "pg_isready" } }, "p")).toEqual({
      check: { kind: "exec", command: "pg_isready", workingDir: undefined },
      initialDelaySeconds: 0,
      periodSeconds: 10,
      timeoutSeconds: 1,
      successThreshold: 1,
      failureThreshold: 3,
    });
  });

  it("reads an http_get probe into a URL, keeping the query string", () => {
    const probe = parseProbe(
      {
        http_get: { host: "127.0.0.1", port: 3000, path: "/api/health?live=1" },
        initial_delay_seconds: 5,
        period_seconds: 2,
        timeout_seconds: 3,
        failure_threshold: 150,
      },
      "p",
    );
    expect(probe.check).toEqual({
      kind: "http",
      url: "http://127.0.0.1:3000/api/health?live=1",
      statusCode: 200,
    });
    expect([probe.initialDelaySeconds, probe.periodSeconds, probe.timeoutSeconds]).toEqual([5, 2, 3]);
    expect(probe.failureThreshold).toBe(150);
  });

  it("defaults host, scheme and path, accepts a quoted port and brackets IPv6", () => {
    expect(parseProbe({ http_get: { port: "8080" } }, "p").check).toEqual({
      kind: "http",
      url: "http://127.0.0.1:8080/",
      statusCode: 200,
    });
    expect(parseProbe({ http_get: { host: "::1", port: 80, path: "x" } }, "p").check).toMatchObject({
      url: "http://[::1]:80/x",
    });
  });

  it("rejects probes that are ambiguous, empty or malformed", () => {
    expect(() => parseProbe({}, "p")).toThrow("p needs exactly one of exec or http_get");
    expect(() => parseProbe({ exec: { command: "a" }, http_get: { port: 1 } }, "p")).toThrow(
      "exactly one of",
    );
    expect(() => parseProbe({ http_get: { path: "/" } }, "p")).toThrow("p.http_get.port is required");
    expect(() => parseProbe({ exec: { command: "a" }, period_seconds: -1 }, "p")).toThrow(
      "p.period_seconds must be a number",
    );
  });
});

describe("file parsing", () => {
  it("reads environment lists, shutdown signals by number and bounded restarts", () => {
    const config = compose(`
version: "0.5"
environment:
  - "GLOBAL=1"
processes:
  web:
    command: npm start
    working_dir: sub
    environment:
      - "PORT=3000"
      - "EMPTY="
    availability: { restart: on_failure, max_restarts: 0 }
    shutdown: { signal: 2, timeout_seconds: 4 }
  off:
    command: never
    disabled: true
`);
    expect(config.environment).toEqual({ GLOBAL: "1" });
    expect([...config.processes.keys()]).toEqual(["web"]);
    const web = config.processes.get("web");
    expect(web?.workingDir).toBe(path.join(BASE, "sub"));
    expect(web?.environment).toEqual({ PORT: "3000", EMPTY: "" });
    expect(web?.shutdown).toEqual({ signal: "SIGINT", timeoutSeconds: 4, command: undefined });
    // process-compose's 0 means unlimited; the runner bounds it.
    expect(web?.availability.restartCountMax).toBeGreaterThan(0);
  });

  it("parses the repository process-compose.yaml", () => {
    const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../process-compose.yaml");
    const config = parseCompose(readFileSync(file, "utf8"), path.dirname(file));
    const order = startOrder(config);
    expect(order.indexOf("migrate")).toBeGreaterThan(order.indexOf("postgres"));
    expect(order.indexOf("web")).toBeGreaterThan(order.indexOf("seed"));
    expect(config.processes.get("web")?.readinessProbe?.check).toMatchObject({
      url: "http://127.0.0.1:3000/api/health?live=1",
    });
    expect(config.warnings).toEqual([]);
  });
});

/** True while `pid` is a live process; a zombie waiting to be reaped counts as gone. */
function runningProcess(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Real processes (sh, sleep, echo) under the runner: what `npm run up` does, in miniature. */
describe("runner", () => {
  function run(yaml: string) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "compose-runner-"));
    const config = parseCompose(yaml, dir);
    const lines: string[] = [];
    const events: RunnerEvent[] = [];
    const runner = new ComposeRunner({
      config,
      baseEnv: process.env,
      output: { write: (text: string) => lines.push(...text.trimEnd().split("\n")) },
      color: false,
      onEvent: (event) => events.push(event),
    });
    return {
      runner,
      lines,
      events,
      result: runner.run().finally(() => rmSync(dir, { recursive: true, force: true })),
    };
  }

  it("waits for health and completion before starting dependents", async () => {
    const { result, events, lines } = run(`
processes:
  db:
    command: "touch ready && echo db up && sleep 0.6"
    readiness_probe:
      exec: { command: "test -f ready" }
      period_seconds: 0.05
  migrate:
    command: "echo migrating"
    depends_on: { db: { condition: process_healthy } }
  app:
    command: "echo app started"
    depends_on: { migrate: { condition: process_completed_successfully } }
`);
    expect(await result).toEqual({ code: 0, reason: "all processes completed" });
    const order = events.map((e) => `${e.type}:${e.name}`);
    expect(order.indexOf("ready:db")).toBeLessThan(order.indexOf("started:migrate"));
    expect(order.indexOf("ended:migrate")).toBeLessThan(order.indexOf("started:app"));
    expect(lines).toContain("app     | app started");
  });

  it("stops everything and names the process when a dependency fails", async () => {
    const { result, events } = run(`
processes:
  svc:
    command: "sleep 30"
  migrate:
    command: "echo boom >&2; exit 3"
  app:
    command: "sleep 30"
    depends_on:
      migrate: { condition: process_completed_successfully }
      svc: { condition: process_started }
`);
    const outcome = await result;
    expect(outcome.code).toBe(1);
    expect(outcome.reason).toBe("process 'migrate' failed (exit code 3); 'app' depend on it");
    expect(events.some((e) => e.type === "started" && e.name === "app")).toBe(false);
  });

  it("restarts on failure up to max_restarts, then gives up", async () => {
    const { result, events } = run(`
processes:
  flaky:
    command: "exit 1"
    availability: { restart: on_failure, backoff_seconds: 0, max_restarts: 2 }
`);
    expect((await result).code).toBe(1);
    expect(events.filter((e) => e.type === "started")).toHaveLength(3);
  });

  it("stop() signals the process group and waits for it", async () => {
    const { runner, result, events, lines } = run(`
processes:
  long:
    command: "sleep 30 & echo sleeper $!; wait"
    shutdown: { signal: 15, timeout_seconds: 5 }
`);
    const sleeperPid = async (): Promise<number> => {
      for (;;) {
        const line = lines.find((l) => l.includes("sleeper "));
        if (line !== undefined) return Number(line.split("sleeper ")[1]);
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const pid = await sleeperPid();
    expect(events.some((e) => e.type === "started")).toBe(true);
    await runner.stop("test");
    expect(await result).toEqual({ code: 0, reason: "test" });
    // SIGTERM to the group was enough: no SIGKILL fallback, and the grandchild is gone too.
    expect(lines.some((line) => line.includes("did not stop"))).toBe(false);
    expect(lines).toContain("long    | stopped (signal SIGTERM)");
    expect(runningProcess(pid)).toBe(false);
  });
});

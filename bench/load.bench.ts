// Load test (issue #8): 100 dashboard users and 500 money intents/s for 60 s, together, in one
// process as the web server would run them: no errors, and the dashboard (p95 < 100 ms per
// procedure) and intent (p99 < 20 ms) targets still hold.
//   - Data: the dashboard bench's seed (bench/dashboard.bench.ts: 50 ventures, DASHBOARD_BENCH_TASKS
//     tasks each, DASHBOARD_BENCH_EVENTS events, 90 days of books), each venture allowed to pay "acme".
//   - Dashboard users: each opens the dashboard (the four procedures the page calls, in parallel,
//     through the in-process tRPC caller, on the read lane's connections as the web process runs
//     them) and refreshes it every LOAD_BENCH_REFRESH_MS (the page's own interval, 15 s), starting
//     at a random moment of the first interval.
//   - Intents: createIntent offered open loop at LOAD_BENCH_RATE (500/s), within the automatic
//     approval limit, on the seeded ventures; latency from each request's scheduled time.
//   - The event sealer runs alongside, as the outbox relay does.
//   - Three quarters in, the kill-switch is pressed and released on its own two connections, as
//     the web process runs it; the figure is how long the pause took to commit.
// Options: --duration=<s> or LOAD_BENCH_SECONDS (default 60), LOAD_BENCH_USERS (100), LOAD_BENCH_RATE
// (500), LOAD_BENCH_REFRESH_MS (15000), LOAD_BENCH_POOL (connections, 20); the seed's size with
// DASHBOARD_BENCH_EVENTS and DASHBOARD_BENCH_TASKS (stated in the figures' notes).
import { execFileSync } from "node:child_process";
import { pause, resume } from "@/server/contexts/control/api";
import { loadPrincipal } from "@/server/contexts/identity/principal";
import { allowCounterparty } from "@/server/contexts/treasury/intents/counterparties";
import { createDb, type Db } from "@/server/shared/db";
import { sealEvents } from "@/server/shared/events/store";
import { createLogger } from "@/server/shared/logger";
import { intentGroupTotals } from "@/server/shared/metrics";
import { createCaller } from "@/server/trpc/root";
import { seed } from "./dashboard.bench";
import {
  createOneIntent,
  describeGroups,
  describeMix,
  type IntentWorld,
  loadAverage,
  openLoop,
} from "./intents.bench";
import { type Bench, type BenchResult, percentile, round, scratchDatabase, startSealer } from "./lib";

const durationArg = process.argv.find((a) => a.startsWith("--duration="))?.split("=")[1];
const durationS = Number(durationArg ?? process.env.LOAD_BENCH_SECONDS ?? 60);
const users = Number(process.env.LOAD_BENCH_USERS ?? 100);
const intentRate = Number(process.env.LOAD_BENCH_RATE ?? 500);
const refreshMs = Number(process.env.LOAD_BENCH_REFRESH_MS ?? 15_000);
const poolMax = Number(process.env.LOAD_BENCH_POOL ?? 20);
const seedEvents = Number(process.env.DASHBOARD_BENCH_EVENTS ?? 1_000_000);
const seedTasks = Number(process.env.DASHBOARD_BENCH_TASKS ?? 1_000);
const progress = (message: string) => process.stderr.write(`  load: ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

type Caller = ReturnType<typeof createCaller>;

/** The procedures the dashboard page calls, with the page's inputs (portfolio-dashboard.tsx). */
function dashboardProcedures(caller: Caller, portfolioId: string): Array<[string, () => Promise<unknown>]> {
  return [
    ["overview", () => caller.dashboard.overview({ portfolioId, windowDays: 30 })],
    ["ventures", () => caller.dashboard.ventures({ portfolioId, windowDays: 30 })],
    ["series", () => caller.dashboard.series({ portfolioId, days: 30 })],
    ["activity", () => caller.dashboard.activity({ portfolioId, limit: 20 })],
  ];
}

type DashboardTally = {
  latencies: Map<string, number[]>;
  errors: number;
  firstError: string | null;
  pageLoads: number;
};

/** `users` dashboard users until the deadline; each page load calls the procedures in parallel. */
async function dashboardUsers(
  procedures: Array<[string, () => Promise<unknown>]>,
  deadline: number,
): Promise<DashboardTally> {
  const tally: DashboardTally = { latencies: new Map(), errors: 0, firstError: null, pageLoads: 0 };
  for (const [name] of procedures) tally.latencies.set(name, []);
  await Promise.all(
    Array.from({ length: users }, async () => {
      await sleep(Math.random() * refreshMs);
      while (performance.now() < deadline) {
        const pageStarted = performance.now();
        await Promise.all(
          procedures.map(async ([name, call]) => {
            const started = performance.now();
            try {
              await call();
              tally.latencies.get(name)!.push(performance.now() - started);
            } catch (error) {
              tally.errors += 1;
              tally.firstError ??= `${name}: ${String(error)}`;
            }
          }),
        );
        tally.pageLoads += 1;
        await sleep(Math.min(deadline - performance.now(), pageStarted + refreshMs - performance.now()));
      }
    }),
  );
  return tally;
}

/** Pauses and resumes everything, as the button does; how long each took. */
async function pressKillSwitch(controlDb: Db): Promise<{ pauseMs: number; resumeMs: number }> {
  const change = {
    db: controlDb,
    actor: { type: "system" as const, id: "bench" },
    actorName: "load bench",
    correlationId: "cor_bench_load_killswitch",
    fanout: null,
  };
  let started = performance.now();
  await pause({ ...change, reason: "Load bench: the kill-switch under load" });
  const pauseMs = performance.now() - started;
  started = performance.now();
  await resume({ ...change, reason: "Load bench: released" });
  return { pauseMs, resumeMs: performance.now() - started };
}

const bench: Bench = {
  name: "load",
  async run() {
    const database = await scratchDatabase();
    const db = createDb(database.url, { poolMax, statementTimeoutMs: 600_000 });
    // The web process's lanes (server/runtime.ts, server/trpc/request-lane.ts): commands on the
    // shared pool, reads on their own six connections, the kill-switch on its own two.
    const readDb = createDb(database.url, { poolMax: 6 });
    const controlDb = createDb(database.url, { poolMax: 2 });
    try {
      const seedStarted = performance.now();
      const { portfolioId, userId, postings } = await seed(db);
      const ventures = await db.$queryRawUnsafe<Array<{ id: string }>>(
        "SELECT id FROM ventures WHERE portfolio_id = $1 ORDER BY id",
        portfolioId,
      );
      for (const { id } of ventures) await allowCounterparty({ db, ventureId: id, counterpartyId: "acme" });
      const seedS = (performance.now() - seedStarted) / 1000;
      const size = `${ventures.length} ventures, ${ventures.length * seedTasks} tasks, ${seedEvents} events, ${postings} postings (the dashboard bench's seed${seedEvents < 1_000_000 ? `, at ${seedEvents} events instead of 1,000,000` : ""})`;
      progress(`seeded in ${round(seedS, 1)} s: ${size}`);

      const principal = (await loadPrincipal(db, userId))!;
      const caller = createCaller({
        db: readDb,
        log: createLogger({ name: "bench", level: "silent" }),
        principal,
        correlationId: "cor_bench_load",
      });
      const procedures = dashboardProcedures(caller, portfolioId);
      const world: IntentWorld = {
        db,
        portfolioId,
        userId,
        ventureIds: ventures.map((v) => v.id),
        requester: { kind: "user", userId, portfolioId, portfolioRole: "founder" },
      };
      // Warm-up, as a server that has been running is warm: compiles the policy, opens expense
      // accounts, opens every connection of both pools, plans the dashboard's queries on each and
      // runs the intent path often enough (2,000 times) for the JIT to have optimised it.
      for (let i = 0; i < 2_000; i += poolMax) {
        await Promise.all(Array.from({ length: poolMax }, () => createOneIntent(world)));
      }
      for (let i = 0; i < 3; i++) await Promise.all(procedures.map(([, call]) => call()));
      await sealEvents(db, 100_000);

      // The seed wrote ~1 GB that PostgreSQL has yet to checkpoint and the kernel to write back;
      // flushed during the run, that backlog stalled every commit's WAL flush for ~250 ms about
      // 25 s in (the kernel writes back pages dirty for 30 s). Flushed first, as on a server that
      // has been running: the load's own writes still go through the usual checkpoints, counted
      // below.
      await db
        .$executeRawUnsafe("CHECKPOINT")
        .catch((error) =>
          progress(`CHECKPOINT refused (${String(error)}); the seed is flushed during the run`),
        );
      execFileSync("sync");
      const checkpoints = async () =>
        Number(
          (
            await db.$queryRawUnsafe<Array<{ n: bigint }>>(
              "SELECT checkpoints_timed + checkpoints_req AS n FROM pg_stat_bgwriter",
            )
          )[0]!.n,
        );
      const checkpointsBefore = await checkpoints();

      const loadBefore = loadAverage();
      progress(
        `${users} dashboard users (refresh every ${refreshMs} ms) and ${intentRate} intents/s for ${durationS} s`,
      );
      const sealer = startSealer(database.url);
      const groupsBefore = await intentGroupTotals();
      const deadline = performance.now() + durationS * 1000;
      const [dashboard, intents, killSwitch] = await Promise.all([
        dashboardUsers(procedures, deadline),
        openLoop(durationS, intentRate, () => createOneIntent(world)),
        // The kill-switch pressed (and released) three quarters in, on its own connections as the
        // web process runs it (server/trpc/request-lane.ts).
        sleep(durationS * 750).then(() => pressKillSwitch(controlDb)),
      ]);
      const groups = describeGroups(groupsBefore, await intentGroupTotals());
      const sealed = await sealer.stop();
      const loadAfter = loadAverage();
      const checkpointsDuring = (await checkpoints()) - checkpointsBefore;

      const errors = dashboard.errors + intents.tally.errors;
      const common = `${users} dashboard users refreshing every ${refreshMs / 1000} s (${dashboard.pageLoads} page loads) and ${intentRate} intents/s offered open loop, together for ${durationS} s; pools: commands ${poolMax}, reads 6, kill-switch 2; ${size}; sealer running (${sealed} events sealed); the seed checkpointed and written back first, ${checkpointsDuring} checkpoint(s) during the run; load average ${loadBefore} → ${loadAfter}`;
      progress(
        `intents achieved ${round(intents.achievedRate)}/s, p50 ${round(percentile(intents.latencies, 50))} ms, p99 ${round(percentile(intents.latencies, 99))} ms (${groups}); dashboard errors ${dashboard.errors}, intent errors ${intents.tally.errors}`,
      );
      const result: BenchResult = {
        "load.errors": {
          value: errors,
          unit: "errors",
          note: `target 0; dashboard ${dashboard.errors}${dashboard.firstError ? ` (first: ${dashboard.firstError})` : ""}, intents ${intents.tally.errors} (${Object.entries(
            intents.tally.errorCodes,
          )
            .map(([code, n]) => `${code} ${n}`)
            .join(
              ", ",
            )}${intents.tally.firstError ? `; first: ${intents.tally.firstError}` : ""}); UNAVAILABLE is a refusal at once by admission control (503 with Retry-After over HTTP), not a timeout; ${common}`,
        },
        "load.intents_p99": {
          value: round(percentile(intents.latencies, 99)),
          unit: "ms",
          p50: round(percentile(intents.latencies, 50)),
          p99: round(percentile(intents.latencies, 99)),
          note: `createIntent latency from the scheduled time, every request (refused ones included); of the completed ones p50 ${round(percentile(intents.completed, 50))} ms, p99 ${round(percentile(intents.completed, 99))} ms; ${intents.issued} offered, achieved ${round(intents.achievedRate)}/s; ${groups}; mix: ${describeMix(intents.tally)}; target p99 < 20 ms; ${common}`,
        },
        "load.intents_rate": {
          value: round(intents.achievedRate),
          unit: "intents/s",
          note: `completed intents per second while the dashboards were polled, of ${intentRate}/s offered`,
        },
      };
      progress(
        `kill-switch under load: pause ${round(killSwitch.pauseMs)} ms, resume ${round(killSwitch.resumeMs)} ms`,
      );
      result["load.killswitch_pause_ms"] = {
        value: round(killSwitch.pauseMs),
        unit: "ms",
        note: `pause committed (lock, event, projection; no fan-out here) on the kill-switch's own 2 connections, pressed ${durationS * 0.75} s into the load; resume took ${round(killSwitch.resumeMs)} ms; ${common}`,
      };
      for (const [name, samples] of dashboard.latencies) {
        samples.sort((a, b) => a - b);
        progress(`dashboard ${name}: p95 ${round(percentile(samples, 95))} ms over ${samples.length} calls`);
        result[`load.dashboard_${name}_p95`] = {
          value: round(percentile(samples, 95)),
          unit: "ms",
          p50: round(percentile(samples, 50)),
          p99: round(percentile(samples, 99)),
          note: `${samples.length} calls through the tRPC caller during the load; target p95 < 100 ms; ${common}`,
        };
      }
      return result;
    } finally {
      await controlDb.$disconnect();
      await readDb.$disconnect();
      await db.$disconnect();
      await database.drop();
    }
  },
};

export default bench;

// Fault suite, part 2 (issue 8): restarts of NATS, Redis and PostgreSQL — private instances this
// file starts on ports of its own — while the portfolio runs, each service once gracefully and once
// brutally (SIGKILL for NATS and Redis, an immediate stop, i.e. a crash recovered from the WAL, for
// PostgreSQL). The workers may pause fail-closed while a service is down (ADR 0007); they must
// recover by themselves, without a restart. Afterwards: every task exactly once, nothing posted or
// settled twice, the ledger's invariants, the event chain.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@/server/shared/db";
import { connectNats, ensureStreams, type NatsConnection, natsNames } from "@/server/shared/nats";
import { Fleet, workerNames } from "./fleet";
import { checkIntegrity, waitForQuiet } from "./integrity";
import { openPortfolio, type Portfolio, startMoneyTraffic, submitWave } from "./portfolio";
import { type PrivateStack, startPrivateStack } from "./private-services";
import { printSummary, progress } from "./summary";

const namespace = "faults";
/** Longest a worker may take to work again after its service is back. */
const recoveryMaxMs = 45_000;

let stack: PrivateStack;
let db: Db;
let nc: NatsConnection;
let fleet: Fleet;
let portfolio: Portfolio;
const began = Date.now();

beforeAll(async () => {
  stack = await startPrivateStack();
  progress(`private services up: ${stack.databaseUrl}, ${stack.nats.url}, ${stack.redis.url}`);
  db = createDb(stack.databaseUrl, { poolMax: 10 });
  nc = await connectNats(stack.nats.url, "faults-test");
  await ensureStreams(nc, namespace);
  fleet = new Fleet(stack, namespace);
  fleet.startAll();
  portfolio = await openPortfolio(db);
  await fleet.waitUp(db, workerNames, 60_000);
  progress("portfolio open, workers up");
}, 120_000);

afterAll(async () => {
  await fleet?.stopAll();
  await nc?.drain().catch(() => {});
  await db?.$disconnect();
  await stack?.stop();
});

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Restart = {
  service: "nats" | "redis" | "postgres";
  how: string;
  stop(): Promise<void>;
  start(): Promise<void>;
};

async function tasksSucceededSince(since: Date): Promise<number> {
  const [row] = await db.$queryRawUnsafe<Array<{ n: number }>>(
    "SELECT count(*)::int AS n FROM event_log WHERE type = 'orchestration.task_succeeded' AND occurred_at > $1",
    since,
  );
  return row?.n ?? 0;
}

/** The channels the relay and the scheduler are woken on, with the session listening to each. */
async function listeningChannels(): Promise<string[]> {
  const rows = await db.$queryRawUnsafe<Array<{ query: string }>>(
    `SELECT DISTINCT query FROM pg_stat_activity
      WHERE datname = current_database() AND query IN ('LISTEN venture_outbox', 'LISTEN venture_schedule')`,
  );
  return rows.map((r) => r.query.replace("LISTEN ", ""));
}

/**
 * Back to work: every worker process has written a heartbeat since `since` with its kill-switch gate
 * open (so PostgreSQL, NATS and Redis all answer it again), the relay and the scheduler listen for
 * their wake-ups again (else every step waits for a poll), and a task has succeeded since then. The
 * work in flight may all have finished before the service came back (a fast machine finishes a wave
 * in well under a second); once everything else is back, `probe` submits new work, once, and a task
 * of it must succeed.
 */
async function waitRecovered(
  since: Date,
  probe: () => Promise<void>,
): Promise<{ ms: number; stuck: string[] }> {
  let stuck: string[] = [...workerNames];
  let slowMs = 5_000;
  let probed = false;
  for (;;) {
    const elapsed = Date.now() - since.getTime();
    try {
      stuck = await fleet.notRecoveredSince(db, since);
      const channels = await listeningChannels();
      for (const channel of ["venture_outbox", "venture_schedule"]) {
        if (!channels.includes(channel)) stuck.push(`nobody listens on ${channel}`);
      }
      if ((await tasksSucceededSince(since)) === 0) {
        if (stuck.length === 0 && !probed) {
          await probe();
          probed = true;
        }
        stuck.push(probed ? "no task succeeded (new work submitted after recovery)" : "no task succeeded");
      }
      if (stuck.length === 0) return { ms: elapsed, stuck };
    } catch {
      // PostgreSQL itself may still be coming back.
    }
    if (elapsed > recoveryMaxMs) return { ms: elapsed, stuck };
    if (elapsed > slowMs) {
      slowMs += 5_000;
      progress(`still recovering after ${elapsed} ms: ${stuck.join(", ")}`);
    }
    await pause(100);
  }
}

describe("NATS, Redis and PostgreSQL restarts during a running portfolio", () => {
  it("recovers by itself each time; every task exactly once, nothing posted twice, ledger and chain whole", async () => {
    const restarts: Restart[] = [
      {
        service: "nats",
        how: "SIGTERM",
        stop: () => stack.nats.stop("SIGTERM"),
        start: () => stack.nats.start(),
      },
      {
        service: "redis",
        how: "SIGTERM",
        stop: () => stack.redis.stop("SIGTERM"),
        start: () => stack.redis.start(),
      },
      {
        service: "postgres",
        how: "fast shutdown",
        stop: () => stack.postgres.stop("fast"),
        start: () => stack.postgres.start(),
      },
      {
        service: "nats",
        how: "SIGKILL",
        stop: () => stack.nats.stop("SIGKILL"),
        start: () => stack.nats.start(),
      },
      {
        service: "redis",
        how: "SIGKILL",
        stop: () => stack.redis.stop("SIGKILL"),
        start: () => stack.redis.start(),
      },
      {
        service: "postgres",
        how: "immediate stop (crash)",
        stop: () => stack.postgres.stop("immediate"),
        start: () => stack.postgres.start(),
      },
    ];
    const money = startMoneyTraffic(db, portfolio);
    let wave = 0;
    await submitWave(db, portfolio, ++wave);
    await submitWave(db, portfolio, ++wave);

    const recoveries: number[] = [];
    const neverRecovered: string[] = [];
    const counts: Record<string, number> = {};
    for (const restart of restarts) {
      // Work in flight when it goes down: new work for half of the ventures at a time (a submission
      // is not idempotent: only while up), sent just before, so some is left when the service comes
      // back, however fast the machine finishes a wave (recovery means a task succeeds again).
      await pause(500 + Math.random() * 1_500);
      wave++;
      await submitWave(
        db,
        portfolio,
        wave,
        portfolio.ventureIds.filter((_, i) => i % 2 === wave % 2),
      );
      await pause(Math.random() * 300);
      await restart.stop();
      progress(`${restart.service} down (${restart.how})`);
      await pause(1_000 + Math.random() * 2_000);
      await restart.start();
      const back = new Date();
      counts[restart.service] = (counts[restart.service] ?? 0) + 1;
      const recovered = await waitRecovered(back, async () => {
        wave++;
        await submitWave(db, portfolio, wave, portfolio.ventureIds.slice(0, 1));
      });
      progress(
        `${restart.service} back; ${recovered.stuck.length === 0 ? `recovered in ${recovered.ms} ms` : `NOT recovered: ${recovered.stuck.join(", ")}`}`,
      );
      if (recovered.stuck.length > 0) {
        neverRecovered.push(`${restart.service} (${restart.how}): ${recovered.stuck.join(", ")}`);
        break;
      }
      recoveries.push(recovered.ms);
    }
    await money.stop();
    progress("restarts over, waiting for the portfolio to go quiet");

    const quiet = neverRecovered.length === 0 && (await waitForQuiet(db, portfolio.portfolioId, 90_000));
    progress(`quiet: ${quiet}; checking`);
    const integrity = await checkIntegrity(db, portfolio);
    const jsm = await ensureStreams(nc, namespace);
    const deadLetters = (await jsm.streams.info(natsNames(namespace).dlqStream)).state.messages;
    printSummary("service restarts", {
      began,
      kills: {},
      restarts: counts,
      recoveriesMs: recoveries,
      deadLetters,
      driver: portfolio.stats,
      integrity,
    });
    if (!quiet || integrity.problems.length > 0 || neverRecovered.length > 0)
      console.error(fleet.logs.slice(-80).join("\n"));
    expect(neverRecovered).toEqual([]);
    expect(quiet, "the portfolio went quiet: no task left on its way").toBe(true);
    expect(integrity.problems).toEqual([]);
    expect(fleet.unexpectedExits()).toEqual([]);
    expect(recoveries).toHaveLength(restarts.length);
    expect(integrity.figures.tasks).toBe(portfolio.stats.tasksSubmitted);
    expect(integrity.figures.allocationsSettled).toBeGreaterThan(0);
  });
});

// Fault suite, part 1 (issue 8): kill -9 of every worker process — outbox-relay, orchestrator,
// agent-runtime, artifact-compiler — at random moments, 20 times, while a portfolio runs: ventures
// with workstreams of agent tasks (metered model calls, tool calls, subprocesses) and people creating
// and approving money intents and budget allocations. Afterwards every task completed exactly once,
// nothing was posted or settled twice, the ledger's invariants hold and the event chain verifies.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Db } from "@/server/shared/db";
import { connectNats, ensureStreams, type NatsConnection, natsNames } from "@/server/shared/nats";
import type { WorkerName, WorkerProcess } from "@/test/worker-processes";
import { Fleet, workerNames } from "./fleet";
import { checkIntegrity, waitForQuiet } from "./integrity";
import { openPortfolio, type Portfolio, startMoneyTraffic, submitWave } from "./portfolio";
import { type PrivateStack, startPrivateStack } from "./private-services";
import { printSummary, progress } from "./summary";

const namespace = "faults";
const killsTotal = 20;

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

describe("kill -9 of the workers during a running portfolio", () => {
  it("completes every task exactly once, posts nothing twice, keeps the ledger and the chain whole", async () => {
    const money = startMoneyTraffic(db, portfolio);
    let wave = 0;
    await submitWave(db, portfolio, ++wave);

    // Each worker five times. The victim is a worker still owed kills (the most) that is up and
    // working (its heartbeat is in), killed at a random moment of its work 0.2–2 s later and
    // restarted 0–0.5 s after that; the next victim does not wait for this one's restart. New work
    // arrives every ~2 s.
    const owed = Object.fromEntries(workerNames.map((n) => [n, killsTotal / workerNames.length]));
    const recoveries: number[] = [];
    let lastWave = Date.now();
    for (let i = 0; i < killsTotal; i++) {
      let victim: WorkerProcess | undefined;
      const looking = Date.now();
      while (!victim) {
        const up: WorkerName[] = [];
        for (const name of workerNames) {
          if (owed[name]! > 0 && (await fleet.workers[name].heartbeatSeen(db))) up.push(name);
        }
        // Those owed the most first, so no worker is left with kills to take alone at the end.
        const most = Math.max(...up.map((name) => owed[name]!));
        const next = up.filter((name) => owed[name] === most);
        if (next.length > 0) victim = fleet.workers[next[Math.floor(Math.random() * next.length)]!];
        else if (Date.now() - looking > 60_000)
          throw new Error(`no worker up for 60 s:\n${fleet.logs.slice(-40).join("\n")}`);
        else await pause(100);
      }
      owed[victim.name]!--;
      await pause(200 + Math.random() * 1_800);
      await victim.kill("SIGKILL");
      progress(`kill -9 ${victim.name} (${i + 1} of ${killsTotal})`);
      await pause(Math.random() * 500);
      const restarted = Date.now();
      victim.start();
      const restartedVictim = victim;
      void fleet.waitUp(db, [restartedVictim.name], 60_000).then(
        () => recoveries.push(Date.now() - restarted),
        () => {},
      );
      if (Date.now() - lastWave > 2_000) {
        // One venture at a time, in turn: about three tasks a second keep arriving.
        wave++;
        await submitWave(db, portfolio, wave, [portfolio.ventureIds[wave % portfolio.ventureIds.length]!]);
        lastWave = Date.now();
      }
    }
    // Every restarted worker is back before the portfolio is left to finish.
    await fleet.waitUp(db, workerNames, 60_000);
    await money.stop();
    progress("chaos over, waiting for the portfolio to go quiet");

    const quiet = await waitForQuiet(db, portfolio.portfolioId, 90_000);
    progress(`quiet: ${quiet}; checking`);
    const integrity = await checkIntegrity(db, portfolio);
    const jsm = await ensureStreams(nc, namespace);
    const deadLetters = (await jsm.streams.info(natsNames(namespace).dlqStream)).state.messages;
    printSummary("worker kills", {
      began,
      kills: Object.fromEntries(workerNames.map((n) => [n, fleet.workers[n].kills])),
      restarts: {},
      recoveriesMs: recoveries,
      deadLetters,
      driver: portfolio.stats,
      integrity,
    });
    if (!quiet || integrity.problems.length > 0) console.error(fleet.logs.slice(-60).join("\n"));
    expect(quiet, "the portfolio went quiet: no task left on its way").toBe(true);
    expect(integrity.problems).toEqual([]);
    expect(fleet.unexpectedExits()).toEqual([]);
    expect(Object.values(fleet.workers).reduce((sum, w) => sum + w.kills, 0)).toBe(killsTotal);
    expect(integrity.figures.tasks).toBe(portfolio.stats.tasksSubmitted);
    expect(integrity.figures.modelCalls).toBeGreaterThan(0);
    expect(integrity.figures.allocationsSettled).toBeGreaterThan(0);
  });
});

// Budget overshoot in a run (issue 4 target): a goal run with the built-in provider, once with an
// ample budget (what the whole run costs) and once with half of that. In the constrained run every
// model call holds its maximum cost before it starts, so the spend posted may never pass the
// budget: overshoot = posted − budget, target 0, and at most one call's held maximum in flight.
import { randomBytes } from "node:crypto";
import { submitGoal } from "@/server/contexts/orchestration/submit-goal";
import {
  eventually,
  portfolioWithPolicies,
  readyVenture,
  systemActor,
} from "@/server/contexts/orchestration/testing/fixtures";
import { createDb, type Db } from "@/server/shared/db";
import { loadEnv } from "@/server/shared/env";
import { createLogger } from "@/server/shared/logger";
import { connectNats, ensureStreams, natsNames } from "@/server/shared/nats";
import { startAgentRuntime } from "@/workers/agent-runtime/runtime";
import { startScheduler } from "@/workers/orchestrator/scheduler";
import { startOutboxRelay } from "@/workers/outbox-relay/relay";
import { type Bench, round, scratchDatabase } from "./lib";

type Spend = { posted: bigint; pending: bigint; calls: number; refused: number; maxHold: bigint };

async function spendOf(db: Db, ventureId: string): Promise<Spend> {
  const [account] = await db.$queryRawUnsafe<Array<{ posted: bigint; pending: bigint }>>(
    "SELECT debits_posted AS posted, debits_pending AS pending FROM ledger_accounts WHERE id = $1",
    `${ventureId}:expense:models:USD`,
  );
  const [calls] = await db.$queryRawUnsafe<Array<{ n: bigint; max_hold: bigint | null }>>(
    "SELECT count(*) AS n, max(max_cost_minor) AS max_hold FROM agent_model_calls WHERE venture_id = $1",
    ventureId,
  );
  const [refused] = await db.$queryRawUnsafe<Array<{ n: bigint }>>(
    "SELECT count(*) AS n FROM event_log WHERE type = 'agents.model_call_refused' AND envelope::jsonb #>> '{payload,ventureId}' = $1",
    ventureId,
  );
  return {
    posted: account?.posted ?? 0n,
    pending: account?.pending ?? 0n,
    calls: Number(calls?.n ?? 0),
    refused: Number(refused?.n ?? 0),
    maxHold: calls?.max_hold ?? 0n,
  };
}

const bench: Bench = {
  name: "budget",
  async run() {
    const database = await scratchDatabase();
    const namespace = `bench${randomBytes(4).toString("hex")}`;
    const env = loadEnv({
      ...process.env,
      DATABASE_URL: database.url,
      VENTURE_NAMESPACE: namespace,
      LOG_LEVEL: "silent",
    });
    const db = createDb(database.url, { poolMax: 16 });
    const nc = await connectNats(env.NATS_URL, `bench-${namespace}`);
    const jsm = await ensureStreams(nc, namespace);
    const names = natsNames(namespace);
    const log = createLogger({ name: "bench", level: "silent" });
    const services = { db, nc, names, log, env };
    const relay = await startOutboxRelay(services, { pollMs: 100 });
    const scheduler = await startScheduler(services, {
      tickMs: 50,
      sweepMs: 200,
      globalConcurrency: 16,
      dispatchTimeoutMs: 30_000,
    });
    const agents = await startAgentRuntime(services, { leaseMs: 3_000 });
    try {
      const portfolioId = await portfolioWithPolicies(db);
      const goal = "Sell solar kits to schools";

      // 1. Ample budget: what the whole run costs.
      const ample = await readyVenture(db, portfolioId, { name: "Ample", budgetMinor: 10_000_000n });
      const full = await submitGoal({
        db,
        actor: systemActor,
        correlationId: "cor_budget_full",
        ventureId: ample,
        goal,
      });
      await eventually(
        async () => {
          const [w] = await db.$queryRawUnsafe<Array<{ status: string }>>(
            "SELECT status FROM workstreams WHERE id = $1",
            full.workstreamId,
          );
          return w?.status === "completed";
        },
        120_000,
        "the ample run to complete",
      );
      const fullSpend = await spendOf(db, ample);

      // 2. Half of that: the run must stop spending at the budget.
      const budget = fullSpend.posted / 2n;
      const tight = await readyVenture(db, portfolioId, { name: "Tight", budgetMinor: budget });
      await submitGoal({ db, actor: systemActor, correlationId: "cor_budget_tight", ventureId: tight, goal });
      // Settled: calls made, nothing held, and no change for two seconds (the scheduler holds back
      // tasks whose estimate exceeds what is left; the runtime refuses a call that would overspend).
      let last = "";
      let stableSince = Date.now();
      await eventually(
        async () => {
          const spend = await spendOf(db, tight);
          const key = `${spend.posted}/${spend.pending}/${spend.calls}/${spend.refused}`;
          if (key !== last) {
            last = key;
            stableSince = Date.now();
          }
          return spend.calls > 0 && spend.pending === 0n && Date.now() - stableSince > 2_000;
        },
        120_000,
        "the constrained run to stop spending",
      );
      const tightSpend = await spendOf(db, tight);
      const [held] = await db.$queryRawUnsafe<Array<{ n: bigint }>>(
        "SELECT count(*) AS n FROM tasks WHERE venture_id = $1 AND status NOT IN ('succeeded', 'cancelled')",
        tight,
      );
      const waiting = Number(held?.n ?? 0);
      const overshoot = tightSpend.posted > budget ? tightSpend.posted - budget : 0n;
      return {
        "budget.overshoot_minor": {
          value: Number(overshoot),
          unit: "minor units beyond the budget",
          baseline: Number(fullSpend.posted),
          note: `goal run with the built-in provider on a budget of half its full cost (${budget} of ${fullSpend.posted} minor units): posted ${tightSpend.posted} in ${tightSpend.calls} calls, ${tightSpend.refused} calls refused for budget before they started, ${waiting} tasks held back by the scheduler; largest single-call hold ${tightSpend.maxHold}; baseline = posted spend of the same run with an ample budget`,
        },
        "budget.spent_share_of_budget": {
          value: round(Number(tightSpend.posted) / Number(budget), 3),
          unit: "posted / budget",
        },
      };
    } finally {
      await agents.stop();
      await scheduler.stop();
      await relay.stop();
      for (const stream of await jsm.streams.names().next()) {
        if (stream.startsWith(namespace)) await jsm.streams.delete(stream).catch(() => {});
      }
      await nc.close();
      await db.$disconnect();
      await database.drop();
    }
  },
};

export default bench;

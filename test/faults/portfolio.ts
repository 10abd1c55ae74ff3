// The running portfolio the fault suite breaks things under: several funded ventures, workstreams of
// agent tasks (L2 specialists whose model calls are metered through the ledger, with tool calls, and
// L3 subprocesses) run by the built-in deterministic provider, and people creating and approving
// money intents and budget allocations, as the web process would on their behalf.
//
// The test process plays the people. Like any client it retries a request whose answer it did not
// get (PostgreSQL restarting), with the same idempotency key, and treats "already approved" after an
// unanswered approval as the approval having happened: exactly what a browser retry does.

import { submitWorkstream } from "@/server/contexts/orchestration/submit-workstream";
import { readyVenture } from "@/server/contexts/orchestration/testing/fixtures";
import { allocateBudget, recordDeposit } from "@/server/contexts/treasury/funding/api";
import {
  allowCounterparty,
  approveIntent,
  createIntent,
  getIntent,
} from "@/server/contexts/treasury/intents/api";
import type { Db } from "@/server/shared/db";
import { isAppError } from "@/server/shared/errors";
import type { Role } from "@/server/shared/events/catalog";
import { type RoleFixture, roleFixture } from "@/server/trpc/fixtures";

export type DriverStats = {
  workstreams: number;
  tasksSubmitted: number;
  intentsRequested: number;
  approvals: number;
  allocationsRequested: number;
  /** Requests the test repeated because it got no answer (a service was down). */
  clientRetries: number;
};

export type Portfolio = {
  portfolioId: string;
  ventureIds: string[];
  people: RoleFixture;
  /** Every idempotency key a money intent or allocation was requested with. */
  intentKeys: Set<string>;
  /** Allocations the test saw approved: intent id → venture and amount. */
  allocationsApproved: Map<string, { ventureId: string; amountMinor: bigint }>;
  stats: DriverStats;
};

const ventureBudgetMinor = 1_000_000_000n;
const treasuryCashMinor = 10_000_000_000n;

export async function openPortfolio(db: Db, ventures = 4): Promise<Portfolio> {
  const people = await roleFixture(db, `faults${Math.random().toString(36).slice(2, 6)}`);
  const portfolioId = people.portfolioId;
  const ventureIds: string[] = [];
  for (let i = 0; i < ventures; i++) {
    const ventureId = await readyVenture(db, portfolioId, {
      name: `Fault venture ${i + 1}`,
      budgetMinor: ventureBudgetMinor,
    });
    await allowCounterparty({ db, ventureId, counterpartyId: "acme" });
    ventureIds.push(ventureId);
  }
  // Cash in the portfolio treasury for budget allocations.
  await recordDeposit({
    db,
    actor: { type: "user", id: people.principals.admin.userId },
    correlationId: "cor_faults_seed",
    depositedBy: people.principals.admin.userId,
    input: {
      portfolioId,
      amountMinor: treasuryCashMinor.toString(),
      currency: "USD",
      source: "fault suite seed",
      idempotencyKey: "faults-seed",
    },
  });
  return {
    portfolioId,
    ventureIds,
    people,
    intentKeys: new Set(),
    allocationsApproved: new Map(),
    stats: {
      workstreams: 0,
      tasksSubmitted: 0,
      intentsRequested: 0,
      approvals: 0,
      allocationsRequested: 0,
      clientRetries: 0,
    },
  };
}

const retry = { maxAttempts: 20, backoffMs: 100, backoffMaxMs: 1_000, timeoutMs: 30_000 };

/**
 * One workstream: three layers, each task waiting for the layer before. A scripted researcher
 * (three metered model calls around a paid web search and a note), specialists with their default
 * behaviour (memory search, then an answer: two metered calls) and L3 subprocesses that take a
 * moment, so kills and restarts land in the middle of runs.
 */
export function waveTasks(wave: number) {
  const sleep = (s: number) => ({ program: "sh", script: `sleep ${s}; echo done` });
  return [
    {
      key: "research",
      title: `Research wave ${wave}`,
      role: "researcher",
      inputs: {
        script: [
          { tool: "web.search", args: { query: `market wave ${wave}` } },
          { tool: "notes.write", args: { title: `Wave ${wave}`, body: "What the search found." } },
          { answer: `Research of wave ${wave} done.` },
        ],
      },
      spendCeilingMinor: "100000",
      estimatedCostMinor: "10",
      retry,
    },
    {
      key: "measure",
      title: `Measure wave ${wave}`,
      role: "worker",
      level: "L3" as const,
      inputs: sleep(0.4),
      retry,
    },
    {
      key: "copy",
      title: `Copy for wave ${wave}`,
      role: "copywriter",
      dependsOn: ["research"],
      estimatedCostMinor: "10",
      retry,
    },
    {
      key: "pricing",
      title: `Pricing for wave ${wave}`,
      role: "finance_analyst",
      dependsOn: ["research", "measure"],
      estimatedCostMinor: "10",
      retry,
    },
    {
      key: "build",
      title: `Build for wave ${wave}`,
      role: "worker",
      level: "L3" as const,
      dependsOn: ["copy", "pricing"],
      inputs: sleep(0.3),
      retry,
    },
    {
      key: "design",
      title: `Design for wave ${wave}`,
      role: "designer",
      dependsOn: ["copy"],
      estimatedCostMinor: "10",
      retry,
    },
  ];
}

/** A request repeated until it is answered: what a client does while a service restarts. */
async function answered<T>(stats: DriverStats, fn: () => Promise<T>, timeoutMs = 90_000): Promise<T> {
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      // A domain answer (refused, conflict) is an answer; only "no answer" is retried.
      if (isAppError(error) && error.code !== "UNAVAILABLE") throw error;
      if (Date.now() - started > timeoutMs) throw error;
      stats.clientRetries++;
      await new Promise((r) => setTimeout(r, Math.min(100 * 2 ** attempt, 1_000)));
    }
  }
}

/**
 * Submits one wave to the given ventures (all by default). Only while PostgreSQL is up: a submission
 * is not idempotent.
 */
export async function submitWave(
  db: Db,
  portfolio: Portfolio,
  wave: number,
  ventureIds: readonly string[] = portfolio.ventureIds,
): Promise<void> {
  for (const ventureId of ventureIds) {
    const tasks = waveTasks(wave);
    await submitWorkstream({
      db,
      actor: { type: "user", id: portfolio.people.principals.founder.userId },
      correlationId: `cor_faults_w${wave}`,
      ventureId,
      title: `Wave ${wave}`,
      tasks,
    });
    portfolio.stats.workstreams++;
    portfolio.stats.tasksSubmitted += tasks.length;
  }
}

/**
 * People at work: every ~half second a money intent (below the approval threshold, above it, above the
 * four-eyes threshold) or a budget allocation, and the approvals each needs. Runs until stopped;
 * the promise settles once the request in hand is answered.
 */
export function startMoneyTraffic(db: Db, portfolio: Portfolio): { stop(): Promise<void> } {
  const { people, portfolioId, stats } = portfolio;
  let stopped = false;
  const as = (role: Role) => ({
    actor: { type: "user" as const, id: people.principals[role].userId },
    correlationId: `cor_faults_money_${role}`,
  });
  const requester = {
    kind: "user" as const,
    userId: people.principals.founder.userId,
    portfolioId,
    portfolioRole: "founder" as const,
  };

  const approve = async (intentId: string, role: "finance_controller" | "admin") => {
    const decider = { userId: people.principals[role].userId, role };
    let unanswered = false;
    await answered(stats, async () => {
      try {
        await approveIntent({
          db,
          ...as(role),
          decider,
          portfolioId,
          intentId,
          note: "approved by the fault suite",
        });
      } catch (error) {
        unanswered ||= !isAppError(error);
        // After an unanswered attempt, "already approved" means that attempt committed.
        if (!unanswered || !isAppError(error)) throw error;
        const intent = await getIntent({ db, portfolioId, intentId });
        if (!intent?.approvals.some((a) => a.approverId === decider.userId)) throw error;
      }
    });
    stats.approvals++;
  };

  const approveAll = async (intentId: string) => {
    const intent = await answered(stats, () => getIntent({ db, portfolioId, intentId }));
    if (intent?.status !== "pending_approval") return;
    await approve(intentId, "finance_controller");
    if (intent.approvalsRequired > 1) await approve(intentId, "admin");
  };

  const loop = async () => {
    for (let n = 0; !stopped; n++) {
      const ventureId = portfolio.ventureIds[n % portfolio.ventureIds.length]!;
      const key = `faults-${n}`;
      portfolio.intentKeys.add(n % 5 === 4 ? `allocation:${key}` : key);
      if (n % 5 === 4) {
        stats.allocationsRequested++;
        const amountMinor = BigInt(100_000 + n);
        const allocation = await answered(stats, () =>
          allocateBudget({
            db,
            ...as("founder"),
            requester,
            input: {
              portfolioId,
              ventureId,
              amountMinor: amountMinor.toString(),
              currency: "USD",
              reason: `Wave money ${n}`,
              idempotencyKey: key,
            },
          }),
        );
        await approveAll(allocation.intent.id);
        portfolio.allocationsApproved.set(allocation.intent.id, { ventureId, amountMinor });
      } else {
        stats.intentsRequested++;
        // Below the approval threshold, above it, above the four-eyes threshold.
        const amountMinor = [1_000 + n, 60_000 + n, 600_000 + n, 2_000 + n][n % 5]!;
        const intent = await answered(stats, () =>
          createIntent({
            db,
            ...as("founder"),
            requester,
            input: {
              portfolioId,
              ventureId,
              amountMinor: String(amountMinor),
              currency: "USD",
              counterparty: "acme",
              category: "saas",
              purpose: `Tools for wave ${n}`,
              idempotencyKey: key,
            },
          }),
        );
        await approveAll(intent.id);
      }
      await new Promise((r) => setTimeout(r, 300 + Math.random() * 300));
    }
  };
  // A request that failed for good ends the traffic; stop() reports it.
  const done = loop().then(
    () => null,
    (error: unknown) => error,
  );
  return {
    async stop() {
      stopped = true;
      const error = await done;
      if (error) throw error;
    },
  };
}

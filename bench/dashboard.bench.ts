// Founder dashboard (CTRL-002) at size: 50 ventures, 1,000 tasks each, 1,000,000 events, 90 days of
// ledger history (a spend per task, revenue per venture per day). Seeded in bulk: ventures, tasks and
// the ledger's entries and postings with generate_series (the ledger's triggers keep balances and the
// daily totals, as for any writer), events through appendEvents in batches, then sealed. Then each
// dashboard and report procedure is called through the tRPC caller, as the page does.
// Target: p95 < 100 ms per procedure.
// Smaller runs: DASHBOARD_BENCH_EVENTS, DASHBOARD_BENCH_TASKS (per venture), DASHBOARD_BENCH_CALLS.
// Iterating on queries: DASHBOARD_BENCH_KEEP=1 keeps the seeded database and prints its URL;
// DASHBOARD_BENCH_REUSE=<that URL> measures it again without seeding (new migrations are deployed
// to it first). Its history stays where it was seeded, so reuse it on the day it was seeded.
import { execFileSync } from "node:child_process";
import os from "node:os";
import { grantMembership } from "@/server/contexts/identity/grant-membership";
import { loadPrincipal } from "@/server/contexts/identity/principal";
import { registerUser } from "@/server/contexts/identity/register-user";
import { createPortfolio } from "@/server/contexts/orchestration/create-portfolio";
import { openAccounts } from "@/server/contexts/treasury/ledger/open-accounts";
import { createDb, type Db, withTransaction } from "@/server/shared/db";
import { appendEvents, type NewEvent, sealEvents } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { createLogger } from "@/server/shared/logger";
import { createCaller } from "@/server/trpc/root";
import { type Bench, type BenchResult, percentile, round, scratchDatabase } from "./lib";

const ventureCount = 50;
const tasksPerVenture = Number(process.env.DASHBOARD_BENCH_TASKS ?? 1_000);
const eventCount = Number(process.env.DASHBOARD_BENCH_EVENTS ?? 1_000_000);
const calls = Number(process.env.DASHBOARD_BENCH_CALLS ?? 200);
const historyDays = 90;
const eventBatch = 5_000;
const actor = { type: "system" as const, id: "bench" };
const ctx = { actor, correlationId: "cor_bench_dashboard" };
const progress = (message: string) => process.stderr.write(`  dashboard: ${message}\n`);

async function seedVentures(db: Db, portfolioId: string): Promise<string[]> {
  const rows = await db.$queryRawUnsafe<Array<{ id: string }>>(
    `INSERT INTO ventures (id, portfolio_id, name, slug, goal, stage, status, version, created_by, created_at,
                           provisioned_at, currency)
     SELECT 'ven_bench' || lpad(i::text, 3, '0'), $1, 'Bench venture ' || i, 'bench-venture-' || i,
            'Sell robot kits to schools, variant ' || i,
            (ARRAY['idea','validating','building','launched','scaling'])[1 + i % 5], 'ready', 1, 'bench',
            now() - interval '120 days', now() - interval '120 days', 'USD'
       FROM generate_series(1, $2) AS i
     RETURNING id`,
    portfolioId,
    ventureCount,
  );
  return rows.map((r) => r.id).sort();
}

async function seedTasks(db: Db, portfolioId: string, ventureIds: string[]): Promise<void> {
  await db.$executeRawUnsafe(
    `INSERT INTO workstreams (id, portfolio_id, venture_id, title, origin, status, correlation_id, version,
                              created_by, created_at, updated_at)
     SELECT 'ws_' || v, $1, v, 'Bench workstream', 'tasks', 'active', 'cor_bench', 1, 'bench', now(), now()
       FROM unnest($2::text[]) AS v`,
    portfolioId,
    ventureIds,
  );
  // Mostly finished work; a few percent open in every state the dashboard counts.
  await db.$executeRawUnsafe(
    `INSERT INTO tasks (id, portfolio_id, venture_id, workstream_id, key, title, level, role, kind, inputs,
                        estimated_cost_minor, spend_ceiling_minor, priority, status, max_attempts, backoff_ms,
                        backoff_max_ms, timeout_ms, remaining_deps, cost_minor, version, created_at, updated_at)
     SELECT 'tsk_' || v || '_' || i, $1, v, 'ws_' || v, 'k' || i, 'Task ' || i, 'L2', 'researcher', 'work', '{}',
            1000, 5000, 0,
            CASE WHEN i % 100 = 0 THEN 'escalated' WHEN i % 100 = 1 THEN 'running'
                 WHEN i % 100 = 2 THEN 'waiting_budget' WHEN i % 100 < 6 THEN 'pending'
                 WHEN i % 100 < 8 THEN 'ready' ELSE 'succeeded' END,
            3, 1000, 60000, 600000, 0, 1000, 1, now() - (i % 90) * interval '1 day', now()
       FROM unnest($2::text[]) AS v, generate_series(1, $3) AS i`,
    portfolioId,
    ventureIds,
    tasksPerVenture,
  );
}

/**
 * 90 days of books: a deposit, an allocation per venture (one entry, both books), a spend per task
 * (expense against the budget, spread over the days and the default categories) and revenue per
 * venture per day (cash against revenue). Raw inserts: the ledger's triggers check every entry at
 * commit and keep balances and daily totals.
 */
async function seedLedger(db: Db, portfolioId: string, ventureIds: string[]): Promise<number> {
  await withTransaction(db, async (tx) => {
    await openAccounts(tx, { portfolioId, currency: "USD" });
    for (const ventureId of ventureIds) await openAccounts(tx, { portfolioId, ventureId, currency: "USD" });
  });
  const allocationMinor = 50_000_000;
  await withTransaction(db, async (tx) => {
    await tx.$executeRawUnsafe(
      `INSERT INTO ledger_entries (id, portfolio_id, posting_count, memo, created_at)
       VALUES ('bench-deposit', $1, 2, 'bench capital', now() - interval '100 days')`,
      portfolioId,
    );
    await tx.$executeRawUnsafe(
      `INSERT INTO ledger_postings (entry_id, posting_count, seq, account_id, book_id, currency, amount_minor)
       VALUES ('bench-deposit', 2, 0, $1 || ':cash:USD', $1, 'USD', $2::bigint * 2),
              ('bench-deposit', 2, 1, $1 || ':equity:USD', $1, 'USD', -$2::bigint * 2)`,
      portfolioId,
      allocationMinor * ventureIds.length,
    );
    await tx.$executeRawUnsafe(
      `INSERT INTO ledger_entries (id, portfolio_id, posting_count, memo, created_at)
       SELECT 'bench-alloc-' || v, $1, 4, 'bench allocation', now() - interval '95 days' FROM unnest($2::text[]) AS v`,
      portfolioId,
      ventureIds,
    );
    await tx.$executeRawUnsafe(
      `INSERT INTO ledger_postings (entry_id, posting_count, seq, account_id, book_id, currency, amount_minor)
       SELECT 'bench-alloc-' || v, 4, s.seq, s.account, s.book, 'USD', s.amount
         FROM unnest($2::text[]) AS v,
              LATERAL (VALUES (0, v || ':budget:USD', v, $3::bigint), (1, v || ':equity:USD', v, -$3::bigint),
                              (2, $1 || ':venture_funding:USD', $1, $3::bigint), (3, $1 || ':cash:USD', $1, -$3::bigint))
                AS s(seq, account, book, amount)`,
      portfolioId,
      ventureIds,
      allocationMinor,
    );
  });
  const categories = ["models", "compute", "tools", "marketing", "services", "other"];
  await withTransaction(db, async (tx) => {
    await tx.$executeRawUnsafe(
      `INSERT INTO ledger_entries (id, portfolio_id, posting_count, memo, created_at)
       SELECT 'bench-spend-' || v || '-' || i, $1, 2, 'task spend', now() - (i % $4) * interval '1 day'
         FROM unnest($2::text[]) AS v, generate_series(1, $3) AS i`,
      portfolioId,
      ventureIds,
      tasksPerVenture,
      historyDays,
    );
    // Task i spends on day i % 90, in category (i / 90) % 6: every category on most days.
    await tx.$executeRawUnsafe(
      `INSERT INTO ledger_postings (entry_id, posting_count, seq, account_id, book_id, currency, amount_minor)
       SELECT 'bench-spend-' || v || '-' || i, 2, s.seq, s.account, v, 'USD', s.amount
         FROM unnest($1::text[]) AS v, generate_series(1, $2) AS i,
              LATERAL (VALUES (0, v || ':expense:' || ($3::text[])[1 + (i / $4) % 6], 500 + (i * 37) % 4500),
                              (1, v || ':budget:USD', -(500 + (i * 37) % 4500))) AS s(seq, account, amount)`,
      ventureIds,
      tasksPerVenture,
      categories.map((c) => `${c}:USD`),
      historyDays,
    );
    await tx.$executeRawUnsafe(
      `INSERT INTO ledger_entries (id, portfolio_id, posting_count, memo, created_at)
       SELECT 'bench-sale-' || v || '-' || d, $1, 2, 'sale', now() - d * interval '1 day'
         FROM unnest($2::text[]) AS v, generate_series(0, $3 - 1) AS d`,
      portfolioId,
      ventureIds,
      historyDays,
    );
    await tx.$executeRawUnsafe(
      `INSERT INTO ledger_postings (entry_id, posting_count, seq, account_id, book_id, currency, amount_minor)
       SELECT 'bench-sale-' || v || '-' || d, 2, s.seq, s.account, v, 'USD', s.amount
         FROM unnest($1::text[]) AS v, generate_series(0, $2 - 1) AS d,
              LATERAL (VALUES (0, v || ':cash:USD', 10000 + d * 100), (1, v || ':revenue:USD', -(10000 + d * 100)))
                AS s(seq, account, amount)`,
      ventureIds,
      historyDays,
    );
  });
  const [row] = await db.$queryRawUnsafe<Array<{ n: number }>>(
    "SELECT count(*)::int AS n FROM ledger_postings",
  );
  return row!.n;
}

function benchEvent(portfolioId: string, i: number): NewEvent {
  const ventureId = newId("venture");
  return {
    type: "orchestration.venture_created",
    stream: { type: "venture", id: ventureId },
    expectedVersion: 0,
    portfolioId,
    payload: {
      ventureId,
      portfolioId,
      name: `Bench venture event ${i}`,
      slug: `bench-venture-event-${i}`,
      goal: "Reach ten thousand dollars of monthly recurring revenue selling robot kits to schools",
      stage: "idea",
    },
  };
}

/** How pg-pool reports its connect timeout (the wording depends on where the wait was cut). */
const connectTimeout =
  /timeout exceeded when trying to connect|Connection terminated due to connection timeout/;

/**
 * The machine is shared: when other processes hold every PostgreSQL connection for a moment, the
 * pool's 5 s connect timeout fires. A seeding step is retried then; nothing was written by it.
 */
async function retryingConnect<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (attempt >= 10 || !connectTimeout.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1_000 * attempt));
    }
  }
}

/** eventCount events, 80% in the measured portfolio and 20% in another, appended and sealed. */
async function seedEvents(db: Db, portfolioId: string, otherPortfolioId: string): Promise<void> {
  let appended = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: 2 }, async () => {
      while (next < eventCount) {
        const from = next;
        next += eventBatch;
        const size = Math.min(eventBatch, eventCount - from);
        const events = Array.from({ length: size }, (_, k) =>
          benchEvent((from + k) % 5 === 0 ? otherPortfolioId : portfolioId, from + k),
        );
        await retryingConnect(() => withTransaction(db, (tx) => appendEvents(tx, ctx, events)));
        appended += size;
        if (appended % 100_000 < eventBatch) progress(`appended ${appended} events`);
      }
    }),
  );
  for (;;) {
    const sealed = await retryingConnect(() => sealEvents(db, 50_000));
    if (sealed === 0) break;
  }
  progress(`events appended and sealed in ${round((performance.now() - started) / 1000, 1)} s`);
}

async function measure(name: string, call: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < 10; i++) await call();
  const latencies: number[] = [];
  for (let i = 0; i < calls; i++) {
    const started = performance.now();
    await call();
    latencies.push(performance.now() - started);
  }
  progress(
    `${name}: p95 ${round(
      percentile(
        [...latencies].sort((a, b) => a - b),
        95,
      ),
    )} ms`,
  );
  return latencies.sort((a, b) => a - b);
}

/** Seeds the bench's portfolio: its founder, ventures, tasks, books and events. */
export async function seed(db: Db): Promise<{ portfolioId: string; userId: string; postings: number }> {
  const { portfolioId } = await createPortfolio({ db, ...ctx, name: "Dashboard bench" });
  const { portfolioId: otherPortfolioId } = await createPortfolio({ db, ...ctx, name: "Other bench" });
  const { userId } = await registerUser({
    db,
    ...ctx,
    email: "founder@bench.test",
    name: "Bench founder",
    password: "bench-password-123",
  });
  await grantMembership({ db, ...ctx, userId, portfolioId, role: "founder" });
  const ventureIds = await seedVentures(db, portfolioId);
  await seedTasks(db, portfolioId, ventureIds);
  progress(`${ventureIds.length} ventures, ${ventureIds.length * tasksPerVenture} tasks`);
  const postings = await seedLedger(db, portfolioId, ventureIds);
  progress(`ledger: ${postings} postings over ${historyDays} days`);
  await seedEvents(db, portfolioId, otherPortfolioId);
  // What autovacuum does on a live system: statistics and the visibility map.
  await db.$executeRawUnsafe("VACUUM ANALYZE");
  return { portfolioId, userId, postings };
}

/** The portfolio and founder of a database an earlier run seeded and kept. */
async function seeded(db: Db): Promise<{ portfolioId: string; userId: string; postings: number }> {
  const [row] = await db.$queryRawUnsafe<Array<{ portfolio_id: string; user_id: string; postings: number }>>(
    `SELECT p.id AS portfolio_id, u.id AS user_id, (SELECT count(*)::int FROM ledger_postings) AS postings
       FROM portfolios p, users u WHERE p.name = 'Dashboard bench' AND u.email = 'founder@bench.test'`,
  );
  if (!row) throw new Error("DASHBOARD_BENCH_REUSE: no seeded dashboard bench in that database");
  return { portfolioId: row.portfolio_id, userId: row.user_id, postings: row.postings };
}

const bench: Bench = {
  name: "dashboard",
  async run() {
    const reuseUrl = process.env.DASHBOARD_BENCH_REUSE;
    if (reuseUrl) {
      execFileSync("npx", ["prisma", "migrate", "deploy"], {
        env: { ...process.env, DATABASE_URL: reuseUrl },
        stdio: "pipe",
      });
    }
    const database = reuseUrl ? { url: reuseUrl, drop: async () => {} } : await scratchDatabase();
    const db = createDb(database.url, { poolMax: 8, statementTimeoutMs: 600_000 });
    try {
      let started = performance.now();
      const { portfolioId, userId, postings } = reuseUrl ? await seeded(db) : await seed(db);
      if (reuseUrl) await db.$executeRawUnsafe("VACUUM ANALYZE");
      const seedSeconds = (performance.now() - started) / 1000;

      const principal = (await loadPrincipal(db, userId))!;
      const caller = createCaller({
        db,
        log: createLogger({ name: "bench", level: "silent" }),
        principal,
        correlationId: "cor_bench_dashboard",
      });
      const procedures: Array<[string, () => Promise<unknown>]> = [
        ["overview", () => caller.dashboard.overview({ portfolioId })],
        ["ventures", () => caller.dashboard.ventures({ portfolioId })],
        // The page's default: the last 30 days.
        ["series", () => caller.dashboard.series({ portfolioId, days: 30 })],
        ["activity", () => caller.dashboard.activity({ portfolioId, limit: 25 })],
        ["trial_balance", () => caller.treasury.trialBalance({ portfolioId })],
        ["pnl", () => caller.treasury.profitAndLoss({ portfolioId })],
        ["runway", () => caller.treasury.runway({ portfolioId })],
      ];
      const result: BenchResult = {};
      started = performance.now();
      for (const [name, call] of procedures) {
        // The machine is shared: the load while measuring says how far the figures can be trusted.
        const loadBefore = os.loadavg()[0]!;
        const latencies = await measure(name, call);
        const load = `load average ${round(loadBefore, 1)} at start, ${round(os.loadavg()[0]!, 1)} at end`;
        result[`dashboard.${name}_p95`] = {
          value: round(percentile(latencies, 95)),
          unit: "ms",
          p50: round(percentile(latencies, 50)),
          p99: round(percentile(latencies, 99)),
          note: `${calls} sequential calls through the tRPC caller; ${ventureCount} ventures, ${ventureCount * tasksPerVenture} tasks, ${eventCount} events (80% in this portfolio), ${postings} postings over ${historyDays} days${reuseUrl ? " (a database seeded by an earlier run)" : ""}; ${load}; target p95 < 100 ms`,
        };
      }
      progress(
        `${reuseUrl ? "reused a seeded database" : `seeded in ${round(seedSeconds, 1)} s`}, measured in ${round((performance.now() - started) / 1000, 1)} s`,
      );
      return result;
    } finally {
      await db.$disconnect();
      if (reuseUrl || process.env.DASHBOARD_BENCH_KEEP === "1") progress(`kept ${database.url}`);
      else await database.drop();
    }
  },
};

export default bench;

// `npm run demo`'s core at a small scale (2 ventures, 10 days, ~3,000 events) against a database of
// its own: the books balance and equal their postings, the daily totals and the hash chain verify,
// revenue and spend land on the days they happened, a second run writes nothing, and the live run
// leaves a launched venture with an approved, settled budget and work ready for the agents.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registerUser } from "@/server/contexts/identity/register-user";
import { trialBalance } from "@/server/contexts/treasury/ledger/trial-balance";
import { verifyLedger } from "@/server/contexts/treasury/ledger/verify-ledger";
import { dailySeries, profitAndLoss, verifyDailyTotals } from "@/server/contexts/treasury/reports/api";
import { createDb, type Db } from "@/server/shared/db";
import { isAppError } from "@/server/shared/errors";
import { verifyEventLog } from "@/server/shared/events/verify";
import { createTestDatabase } from "@/test/services";
import { type LiveRun, liveProgress } from "./live-run";
import { type DemoScale, spendOf } from "./plan";
import { type DemoMember, seedDemo, startDemoLiveRun } from "./seed-demo";
import type { HistoryResult } from "./seed-history";

const scale: DemoScale = { ventures: 2, days: 10, events: 3_000 };
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Db;
let members: DemoMember[];
let history: HistoryResult;
let live: LiveRun;

async function count(table: string): Promise<number> {
  const [row] = await db.$queryRawUnsafe<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ${table}`);
  return row!.n;
}

beforeAll(async () => {
  database = await createTestDatabase();
  db = createDb(database.url);
  members = [];
  for (const [role, email] of [
    ["founder", "founder@demo.test"],
    ["finance_controller", "finance@demo.test"],
  ] as const) {
    const { userId } = await registerUser({
      db,
      actor: { type: "system", id: "test" },
      correlationId: "cor_demo_test",
      email,
      name: role,
      password: null,
    });
    members.push({ userId, email, role });
  }
  const seeded = await seedDemo({ db, scale, members, live: true });
  history = seeded.history;
  live = seeded.live!;
}, 120_000);

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

const day = (d: Date) => d.toISOString().slice(0, 10);

describe("the demo portfolio", () => {
  it("has the planned ventures, work and events, every one sealed into a chain that verifies", async () => {
    const { plan, counts, portfolioId } = history;
    expect(history.ventures.map((v) => v.name)).toEqual(plan.ventures.map((v) => v.name));
    const planned = plan.ventures.flatMap((v) => v.days.flatMap((d) => d.tasks));
    expect(counts.tasks).toBe(planned.length);
    expect(counts.tasks).toBeGreaterThan(100);
    const [tasks] = await db.$queryRawUnsafe<Array<{ n: number }>>(
      "SELECT count(*)::int AS n FROM tasks WHERE venture_id <> $1",
      live.ventureId,
    );
    expect(tasks!.n).toBe(planned.length);
    // Every planned event, plus the three default policy versions; then the memberships and the
    // live run, dated now.
    expect(counts.events).toBe(plan.expectedEvents + 3);
    const [logged] = await db.$queryRawUnsafe<Array<{ n: number; members: number }>>(
      `SELECT count(*)::int AS n, count(*) FILTER (WHERE type = 'identity.membership_granted')::int AS members
         FROM event_log WHERE portfolio_id = $1`,
      portfolioId,
    );
    expect(logged!.members).toBe(members.length);
    expect(logged!.n).toBeGreaterThan(counts.events + members.length);
    expect(await count("outbox")).toBe(0);
    const chain = await verifyEventLog(db);
    // The chain holds the users' registrations too (they belong to no portfolio).
    expect(chain).toMatchObject({ ok: true, checkedEvents: await count("event_log") });
    // No task of the history is left for the scheduler: each finished, or waits in the founder's
    // inbox (only the live run's tasks wait for agents).
    const open = await db.$queryRawUnsafe<Array<{ status: string }>>(
      "SELECT DISTINCT status FROM tasks WHERE status NOT IN ('succeeded', 'escalated') AND venture_id <> $1",
      live.ventureId,
    );
    expect(open).toEqual([]);
    expect(await count("agent_model_calls")).toBe(counts.modelCalls);
  });

  it("dates every event on its own day: the log spans the whole history, in order", async () => {
    const { plan, portfolioId } = history;
    const rows = await db.$queryRawUnsafe<Array<{ day: string; n: number }>>(
      `SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*)::int AS n
         FROM event_log WHERE portfolio_id = $1 AND type <> 'identity.membership_granted' GROUP BY 1 ORDER BY 1`,
      portfolioId,
    );
    expect(rows[0]!.day).toBe(day(plan.dayStarts[0]!));
    expect(rows.length).toBeGreaterThanOrEqual(scale.days - 1);
    // Each stream (a venture, a task, a workstream) tells its story in time order.
    const [disorder] = await db.$queryRawUnsafe<Array<{ n: number; streams: number }>>(
      `SELECT count(*) FILTER (WHERE earlier)::int AS n, count(DISTINCT stream_id)::int AS streams FROM (
         SELECT stream_id, occurred_at < lag(occurred_at) OVER (PARTITION BY stream_type, stream_id ORDER BY stream_version) AS earlier
           FROM event_log WHERE portfolio_id = $1) x`,
      portfolioId,
    );
    expect(disorder!.n).toBe(0);
    expect(disorder!.streams).toBeGreaterThan(history.counts.tasks);
    // Each payment's event, receipt and ledger entry carry the same day.
    const [mismatched] = await db.$queryRawUnsafe<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM treasury_receipts r
         JOIN ledger_entries e ON e.id = r.entry_id
         JOIN event_log l ON l.type = 'treasury.revenue_received' AND l.stream_id = r.id
        WHERE (e.created_at AT TIME ZONE 'UTC')::date <> (l.occurred_at AT TIME ZONE 'UTC')::date
           OR (r.received_at AT TIME ZONE 'UTC')::date <> (l.occurred_at AT TIME ZONE 'UTC')::date`,
    );
    expect(mismatched!.n).toBe(0);
    expect(await count("treasury_receipts")).toBe(history.counts.sales);
  });

  it("keeps the books: balanced, balances equal postings, daily totals equal postings per day", async () => {
    const { portfolioId } = history;
    expect(await verifyLedger(db, { portfolioId })).toMatchObject({ ok: true });
    const totals = await verifyDailyTotals({ db, portfolioId });
    expect(totals.mismatches).toEqual([]);
    expect(totals.checkedRows).toBeGreaterThan(scale.days);
    const [sums] = await db.$queryRawUnsafe<Array<{ n: number }>>(
      "SELECT count(*)::int AS n FROM (SELECT currency FROM ledger_postings GROUP BY currency HAVING sum(amount_minor) <> 0) x",
    );
    expect(sums!.n).toBe(0);
    const trial = await trialBalance(db, { portfolioId });
    expect(trial.accounts.length).toBeGreaterThan(10);
    // No budget went below zero, and the treasury kept cash for the live run.
    const low = await db.$queryRawUnsafe<Array<{ id: string }>>(
      `SELECT id FROM ledger_accounts WHERE portfolio_id = $1 AND code IN ('budget', 'cash')
          AND debits_posted - credits_posted < 0`,
      portfolioId,
    );
    expect(low).toEqual([]);
  });

  it("reports revenue and spend on the days they happened (daily series and P&L)", async () => {
    const { plan, portfolioId } = history;
    const series = await dailySeries({
      db,
      portfolioId,
      from: day(plan.dayStarts[0]!),
      to: day(plan.dayStarts[plan.dayStarts.length - 1]!),
    });
    const usd = series.currencies.find((c) => c.currency === "USD")!;
    expect(usd.points).toHaveLength(scale.days);
    let revenue = 0n;
    let spend = 0n;
    plan.dayStarts.forEach((start, d) => {
      const plannedRevenue = plan.ventures.reduce(
        (sum, v) => sum + v.days[d]!.sales.reduce((s, sale) => s + sale.amountMinor, 0n),
        0n,
      );
      const plannedSpend = plan.ventures.reduce((sum, v) => sum + spendOf(v.days[d]!), 0n);
      const point = usd.points.find((p) => p.day === day(start))!;
      expect({ day: point.day, revenue: point.revenueMinor, spend: point.expensesMinor }).toEqual({
        day: day(start),
        revenue: plannedRevenue,
        spend: plannedSpend,
      });
      revenue += plannedRevenue;
      spend += plannedSpend;
    });
    // The fast-growing venture earns; days with work show spend.
    expect(revenue).toBeGreaterThan(0n);
    expect(usd.points.filter((p) => p.expensesMinor > 0n).length).toBeGreaterThanOrEqual(scale.days - 1);
    const pnl = await profitAndLoss({
      db,
      portfolioId,
      from: day(plan.dayStarts[0]!),
      to: day(plan.dayStarts[plan.dayStarts.length - 1]!),
    });
    expect(JSON.stringify(pnl, (_k, v) => (typeof v === "bigint" ? v.toString() : v))).toContain(
      revenue.toString(),
    );
    const [expenses] = await db.$queryRawUnsafe<Array<{ total: bigint }>>(
      `SELECT coalesce(sum(p.amount_minor), 0)::bigint AS total FROM ledger_postings p
         JOIN ledger_accounts a ON a.id = p.account_id WHERE a.portfolio_id = $1 AND a.kind = 'expense'`,
      portfolioId,
    );
    expect(expenses!.total).toBe(spend);
  });

  it("refuses a second run, naming the demo portfolio, and writes nothing", async () => {
    const before = {
      events: await count("event_log"),
      entries: await count("ledger_entries"),
      ventures: await count("ventures"),
      portfolios: await count("portfolios"),
    };
    const error = await seedDemo({ db, scale, members }).catch((e: unknown) => e);
    expect(isAppError(error) && error.code).toBe("CONFLICT");
    expect(String((error as Error).message)).toContain("already exists");
    expect({
      events: await count("event_log"),
      entries: await count("ledger_entries"),
      ventures: await count("ventures"),
      portfolios: await count("portfolios"),
    }).toEqual(before);
  });

  it("starts a live run: a venture from a template whose budget is approved, settled and ready to spend", async () => {
    const finance = members.find((m) => m.role === "finance_controller")!;
    expect(live.allocationStatus).toBe("settled");
    const [budget] = await db.$queryRawUnsafe<Array<{ available: bigint }>>(
      "SELECT debits_posted - credits_posted - credits_pending AS available FROM ledger_accounts WHERE id = $1",
      `${live.ventureId}:budget:USD`,
    );
    expect(budget!.available).toBe(live.budgetMinor);
    const [intent] = await db.$queryRawUnsafe<
      Array<{ status: string; requested_by: string; decided_by: string }>
    >("SELECT status, requested_by, decided_by FROM money_intents WHERE id = $1", live.intentId);
    expect(intent).toMatchObject({ status: "approved", decided_by: finance.userId });
    expect(intent!.requested_by).not.toBe(intent!.decided_by);
    // Waiting for the orchestrator to provision it, with the template's first tasks ready.
    const progress = await liveProgress(db, live);
    expect(progress.status).toBe("provisioning");
    expect(progress.tasks.ready).toBeGreaterThan(0);
    expect(await verifyLedger(db, { portfolioId: history.portfolioId })).toMatchObject({ ok: true });
    // `npm run demo -- --live` launches another venture of its own.
    const again = await startDemoLiveRun(db, history.portfolioId, members);
    expect(again.ventureName).toBe(`${live.ventureName} 2`);
    expect(again.allocationStatus).toBe("settled");
  });
});

// The founder dashboard's KPI cards (CTRL-002, ORCH-001): revenue, spend, burn, runway and cash per
// currency over a window, ventures by stage and what waits for a decision. A handful of indexed
// reads (ledger daily totals and balances, ventures, pending counts), none of them growing with
// the number of postings, tasks or events.
import { type Period, type PortfolioRunway, runwayReport } from "@/server/contexts/treasury/reports/api";
import type { Db } from "@/server/shared/db";

export type PortfolioKpis = {
  currency: string;
  revenueMinor: bigint;
  spendMinor: bigint;
  netBurnPerDayMinor: bigint;
  grossBurnPerDayMinor: bigint;
  runwayDays: number | null;
  /** Everything available: the treasury's unallocated cash plus every venture's budget and cash. */
  cashMinor: bigint;
  treasuryCashMinor: bigint;
  venturesAvailableMinor: bigint;
};

export type PortfolioOverview = {
  portfolioId: string;
  asOf: Date;
  window: Period;
  ventures: { total: number; byStage: Record<string, number>; paused: number };
  pendingApprovals: { moneyIntents: number; toolCalls: number };
  escalatedTasks: number;
  currencies: PortfolioKpis[];
};

function kpis(p: PortfolioRunway): PortfolioKpis {
  return {
    currency: p.currency,
    revenueMinor: p.revenueMinor,
    spendMinor: p.expensesMinor,
    netBurnPerDayMinor: p.netBurnPerDayMinor,
    grossBurnPerDayMinor: p.grossBurnPerDayMinor,
    runwayDays: p.runwayDays,
    cashMinor: p.availableMinor,
    treasuryCashMinor: p.treasuryCashAvailableMinor,
    venturesAvailableMinor: p.venturesAvailableMinor,
  };
}

export async function portfolioOverview(options: {
  db: Db;
  portfolioId: string;
  windowDays?: number;
  now?: Date;
}): Promise<PortfolioOverview> {
  const now = options.now ?? new Date();
  const [runway, stages, pending] = await Promise.all([
    runwayReport({ db: options.db, portfolioId: options.portfolioId, windowDays: options.windowDays, now }),
    options.db.$queryRawUnsafe<Array<{ stage: string; total: number; paused: number }>>(
      `SELECT stage, count(*)::int AS total, count(*) FILTER (WHERE paused)::int AS paused
         FROM ventures WHERE portfolio_id = $1 GROUP BY stage`,
      options.portfolioId,
    ),
    // Each count is an index range scan over the open rows only.
    options.db.$queryRawUnsafe<Array<{ intents: number; tools: number; escalated: number }>>(
      `SELECT (SELECT count(*) FROM money_intents WHERE portfolio_id = $1 AND status = 'pending_approval')::int AS intents,
              (SELECT count(*) FROM agent_tool_approvals WHERE portfolio_id = $1 AND status = 'pending')::int AS tools,
              (SELECT count(*) FROM tasks WHERE portfolio_id = $1 AND status = 'escalated')::int AS escalated`,
      options.portfolioId,
    ),
  ]);
  const byStage: Record<string, number> = {};
  let total = 0;
  let paused = 0;
  for (const row of stages) {
    byStage[row.stage] = row.total;
    total += row.total;
    paused += row.paused;
  }
  return {
    portfolioId: options.portfolioId,
    asOf: now,
    window: runway.window,
    ventures: { total, byStage, paused },
    pendingApprovals: { moneyIntents: pending[0]?.intents ?? 0, toolCalls: pending[0]?.tools ?? 0 },
    escalatedTasks: pending[0]?.escalated ?? 0,
    currencies: runway.portfolio.map(kpis),
  };
}

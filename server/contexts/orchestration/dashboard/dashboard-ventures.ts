// The founder dashboard's venture list (CTRL-002): each venture with its stage, status, money
// (revenue, spend, burn, runway, available, in its own currency) and the open work that needs a
// look, and its health. Reads only open tasks (an index on status), never the finished ones.
import { runwayReport, type VentureRunway } from "@/server/contexts/treasury/reports/api";
import type { Db } from "@/server/shared/db";
import { type Health, ventureHealth } from "./venture-health";

export type DashboardVenture = {
  id: string;
  name: string;
  stage: string;
  status: string;
  paused: boolean;
  frozen: boolean;
  currency: string;
  revenueMinor: bigint;
  spendMinor: bigint;
  netBurnPerDayMinor: bigint;
  runwayDays: number | null;
  availableMinor: bigint;
  tasks: { open: number; running: number; waitingBudget: number; escalated: number };
  health: Health;
  reasons: string[];
};

export async function dashboardVentures(options: {
  db: Db;
  portfolioId: string;
  windowDays?: number;
  now?: Date;
}): Promise<DashboardVenture[]> {
  const [runway, ventures, freezes, tasks] = await Promise.all([
    runwayReport({
      db: options.db,
      portfolioId: options.portfolioId,
      windowDays: options.windowDays,
      now: options.now,
    }),
    options.db.$queryRawUnsafe<
      Array<{ id: string; name: string; stage: string; status: string; paused: boolean; currency: string }>
    >(
      `SELECT id, name, stage, status, paused, currency FROM ventures WHERE portfolio_id = $1
        ORDER BY created_at DESC, id`,
      options.portfolioId,
    ),
    options.db.$queryRawUnsafe<Array<{ venture_id: string | null }>>(
      "SELECT venture_id FROM treasury_freezes WHERE portfolio_id = $1",
      options.portfolioId,
    ),
    options.db.$queryRawUnsafe<Array<{ venture_id: string; status: string; n: number }>>(
      // Exactly the predicate of tasks_open_by_portfolio_idx (migration 20261128120000).
      `SELECT venture_id, status, count(*)::int AS n FROM tasks
        WHERE portfolio_id = $1 AND status NOT IN ('succeeded', 'cancelled') GROUP BY 1, 2`,
      options.portfolioId,
    ),
  ]);
  const portfolioFrozen = freezes.some((f) => f.venture_id === null);
  const frozen = new Set(freezes.flatMap((f) => (f.venture_id ? [f.venture_id] : [])));
  const money = new Map<string, VentureRunway>(
    runway.ventures.map((v) => [`${v.ventureId}:${v.currency}`, v]),
  );
  const counts = new Map<string, DashboardVenture["tasks"]>();
  for (const row of tasks) {
    const c = counts.get(row.venture_id) ?? { open: 0, running: 0, waitingBudget: 0, escalated: 0 };
    c.open += row.n;
    if (row.status === "running" || row.status === "dispatched") c.running += row.n;
    if (row.status === "waiting_budget") c.waitingBudget += row.n;
    if (row.status === "escalated") c.escalated += row.n;
    counts.set(row.venture_id, c);
  }
  return ventures.map((v) => {
    const m = money.get(`${v.id}:${v.currency}`);
    const taskCounts = counts.get(v.id) ?? { open: 0, running: 0, waitingBudget: 0, escalated: 0 };
    const isFrozen = portfolioFrozen || frozen.has(v.id);
    const availableMinor = m?.availableMinor ?? 0n;
    const runwayDays = m?.runwayDays ?? null;
    return {
      id: v.id,
      name: v.name,
      stage: v.stage,
      status: v.status,
      paused: v.paused,
      frozen: isFrozen,
      currency: v.currency,
      revenueMinor: m?.revenueMinor ?? 0n,
      spendMinor: m?.expensesMinor ?? 0n,
      netBurnPerDayMinor: m?.netBurnPerDayMinor ?? 0n,
      runwayDays,
      availableMinor,
      tasks: taskCounts,
      ...ventureHealth({
        status: v.status,
        paused: v.paused,
        frozen: isFrozen,
        runwayDays,
        availableMinor,
        tasks: taskCounts,
      }),
    };
  });
}

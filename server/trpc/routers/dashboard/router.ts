// The founder dashboard (CTRL-002): KPI cards, revenue and spend per day, the venture list with
// health, and the activity feed. Every procedure reads a handful of indexed rows (ADR 0012): the
// target is p95 < 100 ms at 50 ventures, 50,000 tasks and 1,000,000 events (bench/dashboard.bench.ts).
import { z } from "zod";
import { activityFeed } from "@/server/contexts/orchestration/dashboard/activity-feed";
import { dashboardVentures } from "@/server/contexts/orchestration/dashboard/dashboard-ventures";
import { portfolioOverview } from "@/server/contexts/orchestration/dashboard/portfolio-overview";
import { addDays, dailySeries, dayOf } from "@/server/contexts/treasury/reports/api";
import { createTRPCRouter, portfolioProcedure } from "@/server/trpc/init";
import { dailySeriesOutput } from "../treasury/funding-schemas";

const windowInput = z
  .object({
    portfolioId: z.string().min(1),
    windowDays: z.number().int().min(1).max(366).optional(),
  })
  .strict();

const periodOutput = z.object({ from: z.string(), to: z.string(), days: z.number().int() });

export const overviewOutput = z.object({
  portfolioId: z.string(),
  asOf: z.date(),
  window: periodOutput,
  ventures: z.object({
    total: z.number().int(),
    byStage: z.record(z.string(), z.number().int()),
    paused: z.number().int(),
  }),
  pendingApprovals: z.object({ moneyIntents: z.number().int(), toolCalls: z.number().int() }),
  escalatedTasks: z.number().int(),
  currencies: z.array(
    z.object({
      currency: z.string(),
      revenueMinor: z.bigint(),
      spendMinor: z.bigint(),
      netBurnPerDayMinor: z.bigint(),
      grossBurnPerDayMinor: z.bigint(),
      runwayDays: z.number().int().nullable(),
      cashMinor: z.bigint(),
      treasuryCashMinor: z.bigint(),
      venturesAvailableMinor: z.bigint(),
    }),
  ),
});

export const dashboardVentureOutput = z.object({
  id: z.string(),
  name: z.string(),
  stage: z.string(),
  status: z.string(),
  paused: z.boolean(),
  frozen: z.boolean(),
  currency: z.string(),
  revenueMinor: z.bigint(),
  spendMinor: z.bigint(),
  netBurnPerDayMinor: z.bigint(),
  runwayDays: z.number().int().nullable(),
  availableMinor: z.bigint(),
  tasks: z.object({
    open: z.number().int(),
    running: z.number().int(),
    waitingBudget: z.number().int(),
    escalated: z.number().int(),
  }),
  health: z.enum(["healthy", "warning", "critical"]),
  reasons: z.array(z.string()),
});

export const activityOutput = z.object({
  items: z.array(
    z.object({
      sequence: z.number().int(),
      position: z.string(),
      id: z.string(),
      type: z.string(),
      streamType: z.string(),
      streamId: z.string(),
      occurredAt: z.date(),
      actor: z.object({ type: z.string(), id: z.string() }),
    }),
  ),
  nextBeforePosition: z.string().nullable(),
});

export const dashboardRouter = createTRPCRouter({
  overview: portfolioProcedure("portfolio.read")
    .input(windowInput)
    .output(overviewOutput)
    .query(({ ctx, input }) => portfolioOverview({ db: ctx.db, ...input })),
  ventures: portfolioProcedure("portfolio.read")
    .input(windowInput)
    .output(z.array(dashboardVentureOutput))
    .query(({ ctx, input }) => dashboardVentures({ db: ctx.db, ...input })),
  series: portfolioProcedure("portfolio.read")
    .input(
      z
        .object({ portfolioId: z.string().min(1), days: z.number().int().min(1).max(366).optional() })
        .strict(),
    )
    .output(dailySeriesOutput)
    .query(({ ctx, input }) => {
      const to = dayOf(new Date());
      return dailySeries({
        db: ctx.db,
        portfolioId: input.portfolioId,
        from: addDays(to, -((input.days ?? 30) - 1)),
        to,
      });
    }),
  activity: portfolioProcedure("portfolio.read")
    .input(
      z
        .object({
          portfolioId: z.string().min(1),
          beforePosition: z
            .string()
            .regex(/^\d{1,19}$/)
            .optional(),
          limit: z.number().int().min(1).max(100).optional(),
        })
        .strict(),
    )
    .output(activityOutput)
    .query(({ ctx, input }) => activityFeed({ db: ctx.db, ...input })),
});

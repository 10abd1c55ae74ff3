// Inputs and outputs of the rebalancing procedures (ADR 0016). Transfers carry amounts as strings of
// digits, like money intents; recommendations carry bigint (superjson to the browser; the HTTP API
// writes strings of digits).
import { z } from "zod";
import type { TransferSummary, TransferView } from "@/server/contexts/treasury/rebalancing/api";
import { intentOutput, toIntentOutput } from "../treasury/schemas";

const money = z.string().describe("a positive integer of minor units, as a string of digits");

export const recommendationsInput = z.object({ portfolioId: z.string().min(1) }).strict();

export const requestTransferInput = z
  .object({
    portfolioId: z.string().min(1),
    fromVentureId: z.string().describe("the venture the budget comes from"),
    toVentureId: z.string().describe("the venture the budget goes to (another one of the portfolio)"),
    amountMinor: money,
    currency: z.string().describe("ISO 4217, the ventures' budget currency, e.g. USD"),
    reason: z.string().describe("why the budget moves, 3-500 characters"),
    idempotencyKey: z.string().optional().describe("the same key with the same content transfers once"),
    expiresInMinutes: z
      .number()
      .optional()
      .describe("how long the request waits for approval (default 7 days)"),
  })
  .strict();

export const listTransfersInput = z
  .object({
    portfolioId: z.string().min(1),
    ventureId: z.string().min(1).optional().describe("only transfers from or to this venture"),
    limit: z.number().int().min(1).max(500).optional(),
  })
  .strict();

const periodOutput = z.object({ from: z.string(), to: z.string(), days: z.number().int() });

export const recommendationsOutput = z.object({
  portfolioId: z.string(),
  asOf: z.date(),
  window: periodOutput,
  previousWindow: periodOutput,
  rules: z.object({
    windowDays: z.number().int(),
    shortRunwayDays: z.number().int(),
    longRunwayDays: z.number().int(),
    targetRunwayDays: z.number().int(),
    sourceKeepRunwayDays: z.number().int(),
    minGrowthPercent: z.number().int(),
    minSourceAgeDays: z.number().int(),
  }),
  portfolioFrozen: z.boolean(),
  ventures: z.array(
    z.object({
      ventureId: z.string(),
      ventureName: z.string(),
      currency: z.string(),
      stage: z.string(),
      frozen: z.boolean(),
      ageDays: z.number().int(),
      budgetAvailableMinor: z.bigint(),
      budgetFloorMinor: z.bigint(),
      spendMinor: z.bigint(),
      spendDays: z.number().int(),
      revenueMinor: z.bigint(),
      previousRevenueMinor: z.bigint(),
      incomingPendingMinor: z.bigint(),
      burnPerDayMinor: z.bigint(),
      runwayDays: z.number().int().nullable(),
      revenueGrowthBps: z.number().int().nullable(),
      revenueTrend: z.enum(["growing", "new", "flat", "declining", "none"]),
      role: z.enum(["source", "target"]).nullable(),
      movableMinor: z.bigint(),
      neededMinor: z.bigint(),
      why: z.array(z.string()),
    }),
  ),
  recommendations: z.array(
    z.object({
      id: z.string(),
      fromVentureId: z.string(),
      fromVentureName: z.string(),
      toVentureId: z.string(),
      toVentureName: z.string(),
      amountMinor: z.bigint(),
      currency: z.string(),
      summary: z.string(),
      reasons: z.array(z.string()),
    }),
  ),
});

const transferFields = {
  fromVentureId: z.string(),
  fromVentureName: z.string(),
  toVentureId: z.string(),
  toVentureName: z.string(),
  reason: z.string(),
  /** The intent's status, or "settled" once the budget has moved. */
  transferStatus: z.string(),
  entryId: z.string().nullable().describe("the ledger entry that moved the budget, once settled"),
  settledAt: z.date().nullable(),
};

export const transferOutput = intentOutput.extend(transferFields);

export function toTransferOutput(view: TransferView): z.infer<typeof transferOutput> {
  return {
    ...toIntentOutput(view.intent),
    fromVentureId: view.fromVentureId,
    fromVentureName: view.fromVentureName,
    toVentureId: view.toVentureId,
    toVentureName: view.toVentureName,
    reason: view.reason,
    transferStatus: view.status,
    entryId: view.entryId,
    settledAt: view.settledAt,
  };
}

export const transferSummaryOutput = z.object({
  intentId: z.string(),
  fromVentureId: z.string(),
  fromVentureName: z.string(),
  toVentureId: z.string(),
  toVentureName: z.string(),
  amountMinor: z.string(),
  currency: z.string(),
  reason: z.string(),
  status: z.string(),
  requestedBy: z.string(),
  approvalsRequired: z.number().int(),
  createdAt: z.date(),
  entryId: z.string().nullable(),
  settledAt: z.date().nullable(),
});

export function toTransferSummaryOutput(summary: TransferSummary): z.infer<typeof transferSummaryOutput> {
  const { portfolioId: _portfolioId, ...rest } = summary;
  return { ...rest, amountMinor: summary.amountMinor.toString() };
}

// Inputs and outputs of the treasury funding and report procedures (ADR 0012). Deposits and
// allocations carry amounts as strings of digits, like money intents; reports carry bigint (superjson
// to the browser; the HTTP API writes strings of digits).
import { z } from "zod";
import type { AllocationView, DepositView } from "@/server/contexts/treasury/funding/api";
import { reportKinds } from "@/server/contexts/treasury/reports/api";
import { intentOutput, toIntentOutput } from "./schemas";

const money = z.string().describe("a positive integer of minor units, as a string of digits");
const day = z.string().describe("a day, YYYY-MM-DD (UTC); both ends of a period are included");

export const depositInput = z
  .object({
    portfolioId: z.string().min(1),
    amountMinor: money,
    currency: z.string().describe("ISO 4217, e.g. USD"),
    source: z.string().describe("where the money came from, 3-200 characters"),
    idempotencyKey: z.string().optional().describe("the same key with the same content deposits once"),
  })
  .strict();

export const allocateInput = z
  .object({
    ventureId: z.string().min(1),
    amountMinor: money,
    currency: z.string().describe("ISO 4217, e.g. USD"),
    reason: z.string().describe("why the venture needs the budget, 3-500 characters"),
    idempotencyKey: z.string().optional(),
    expiresInMinutes: z
      .number()
      .optional()
      .describe("how long the request waits for approval (default 7 days)"),
  })
  .strict();

export const listDepositsInput = z
  .object({ portfolioId: z.string().min(1), limit: z.number().int().min(1).max(500).optional() })
  .strict();

export const listAllocationsInput = z
  .object({
    portfolioId: z.string().min(1),
    ventureId: z.string().min(1).optional(),
    limit: z.number().int().min(1).max(500).optional(),
  })
  .strict();

export const ventureInput = z.object({ ventureId: z.string().min(1) }).strict();

export const trialBalanceInput = z
  .object({ portfolioId: z.string().min(1), ventureId: z.string().min(1).optional() })
  .strict();

export const periodInput = z
  .object({
    portfolioId: z.string().min(1),
    ventureId: z.string().min(1).optional(),
    from: day.optional(),
    to: day.optional(),
  })
  .strict();

export const runwayInput = z
  .object({
    portfolioId: z.string().min(1),
    ventureId: z.string().min(1).optional(),
    windowDays: z.number().int().min(1).max(366).optional().describe("days of the burn window, ending today"),
  })
  .strict();

export const reportCsvInput = z
  .object({
    portfolioId: z.string().min(1),
    report: z.enum(reportKinds),
    ventureId: z.string().min(1).optional(),
    from: day.optional(),
    to: day.optional(),
    windowDays: z.number().int().min(1).max(366).optional(),
  })
  .strict();

export const depositOutput = z.object({
  id: z.string(),
  portfolioId: z.string(),
  amountMinor: z.string(),
  currency: z.string(),
  source: z.string(),
  idempotencyKey: z.string(),
  entryId: z.string(),
  depositedBy: z.string(),
  createdAt: z.date(),
});

export function toDepositOutput(view: DepositView): z.infer<typeof depositOutput> {
  return { ...view, amountMinor: view.amountMinor.toString() };
}

export const allocationOutput = intentOutput.extend({
  reason: z.string(),
  /** The intent's status, or "settled" once the money has moved. */
  allocationStatus: z.string(),
  ventureEntryId: z.string().nullable(),
  settledAt: z.date().nullable(),
});

export function toAllocationOutput(view: AllocationView): z.infer<typeof allocationOutput> {
  return {
    ...toIntentOutput(view.intent),
    reason: view.reason,
    allocationStatus: view.status,
    ventureEntryId: view.ventureEntryId,
    settledAt: view.settledAt,
  };
}

export const allocationSummaryOutput = z.object({
  intentId: z.string(),
  ventureId: z.string(),
  amountMinor: z.string(),
  currency: z.string(),
  reason: z.string(),
  status: z.string(),
  requestedBy: z.string(),
  createdAt: z.date(),
  settledAt: z.date().nullable(),
});

const accountOutput = z.object({
  id: z.string(),
  ventureId: z.string().nullable(),
  bookId: z.string(),
  code: z.string(),
  kind: z.string(),
  currency: z.string(),
  debitsPostedMinor: z.bigint(),
  creditsPostedMinor: z.bigint(),
  debitsPendingMinor: z.bigint(),
  creditsPendingMinor: z.bigint(),
  postedMinor: z.bigint(),
  availableMinor: z.bigint(),
});

export const ventureBalancesOutput = z.object({
  ventureId: z.string(),
  portfolioId: z.string(),
  accounts: z.array(accountOutput),
  summary: z.array(
    z.object({
      currency: z.string(),
      budgetAvailableMinor: z.bigint(),
      budgetHeldMinor: z.bigint(),
      cashAvailableMinor: z.bigint(),
      revenueMinor: z.bigint(),
      expensesMinor: z.bigint(),
      fundedMinor: z.bigint(),
    }),
  ),
});

export const trialBalanceOutput = z.object({
  portfolioId: z.string(),
  ventureId: z.string().nullable(),
  asOf: z.date(),
  currencies: z.array(
    z.object({
      currency: z.string(),
      rows: z.array(
        z.object({
          accountId: z.string(),
          bookId: z.string(),
          ventureId: z.string().nullable(),
          ventureName: z.string().nullable(),
          code: z.string(),
          kind: z.string(),
          debitMinor: z.bigint(),
          creditMinor: z.bigint(),
          pendingDebitsMinor: z.bigint(),
          pendingCreditsMinor: z.bigint(),
        }),
      ),
      totalDebitMinor: z.bigint(),
      totalCreditMinor: z.bigint(),
      differenceMinor: z.bigint(),
      totalPendingDebitsMinor: z.bigint(),
      totalPendingCreditsMinor: z.bigint(),
    }),
  ),
});

const periodOutput = z.object({ from: z.string(), to: z.string(), days: z.number().int() });

export const profitAndLossOutput = z.object({
  portfolioId: z.string(),
  ventureId: z.string().nullable(),
  period: periodOutput,
  ventures: z.array(
    z.object({
      ventureId: z.string(),
      ventureName: z.string(),
      currency: z.string(),
      revenueMinor: z.bigint(),
      expensesMinor: z.bigint(),
      expensesByCategory: z.array(z.object({ category: z.string(), amountMinor: z.bigint() })),
      netIncomeMinor: z.bigint(),
    }),
  ),
  totals: z.array(
    z.object({
      currency: z.string(),
      revenueMinor: z.bigint(),
      expensesMinor: z.bigint(),
      netIncomeMinor: z.bigint(),
    }),
  ),
});

const burnOutput = {
  days: z.number().int(),
  revenueMinor: z.bigint(),
  expensesMinor: z.bigint(),
  netSpendMinor: z.bigint(),
  grossBurnPerDayMinor: z.bigint(),
  netBurnPerDayMinor: z.bigint(),
  availableMinor: z.bigint(),
  runwayDays: z.number().int().nullable(),
};

export const runwayOutput = z.object({
  portfolioId: z.string(),
  window: periodOutput,
  ventures: z.array(
    z.object({
      ventureId: z.string(),
      ventureName: z.string(),
      currency: z.string(),
      budgetAvailableMinor: z.bigint(),
      cashAvailableMinor: z.bigint(),
      ...burnOutput,
    }),
  ),
  portfolio: z.array(
    z.object({
      currency: z.string(),
      treasuryCashAvailableMinor: z.bigint(),
      venturesAvailableMinor: z.bigint(),
      ...burnOutput,
    }),
  ),
});

export const dailySeriesOutput = z.object({
  portfolioId: z.string(),
  ventureId: z.string().nullable(),
  period: periodOutput,
  currencies: z.array(
    z.object({
      currency: z.string(),
      points: z.array(
        z.object({
          day: z.string(),
          revenueMinor: z.bigint(),
          expensesMinor: z.bigint(),
          netMinor: z.bigint(),
        }),
      ),
    }),
  ),
});

export const csvFileOutput = z.object({ fileName: z.string(), contentType: z.string(), content: z.string() });

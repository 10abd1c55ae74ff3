import { z } from "zod";

export const ventureOutput = z.object({
  id: z.string(),
  portfolioId: z.string(),
  name: z.string(),
  slug: z.string(),
  goal: z.string().nullable(),
  stage: z.string(),
  status: z.enum(["provisioning", "ready"]),
  version: z.number().int(),
  createdAt: z.date(),
  provisionedAt: z.date().nullable(),
  paused: z.boolean(),
  concurrencyLimit: z.number().int(),
  weight: z.number().int(),
  currency: z.string(),
});

const minorText = z.string().describe("minor units of the venture's currency, as a string of digits");

/** Venture KPIs read from the ledger (ORCH-001): the window's revenue, spend, burn and runway. */
export const ventureKpisOutput = z.object({
  currency: z.string(),
  windowDays: z.number().int(),
  revenueMinor: minorText,
  spendMinor: minorText,
  netBurnPerDayMinor: minorText.describe(
    "net spend per day over the window; negative when revenue exceeds spend",
  ),
  availableMinor: minorText.describe("budget and cash available to spend"),
  runwayDays: z
    .number()
    .int()
    .nullable()
    .describe("days the available money lasts at the net burn; null when nothing is burnt"),
});

export const ventureDetailOutput = ventureOutput.extend({ kpis: ventureKpisOutput.nullable() });

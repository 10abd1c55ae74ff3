// Inputs and outputs of the scale-up playbook procedures (ADR 0017). Amounts come in as strings of
// digits (minor units), like money intents; they go out as bigint (superjson to the browser; the
// HTTP API writes strings of digits).
import { z } from "zod";
import { scaleUpRunStatuses } from "@/server/shared/events/catalog/orchestration-playbooks";

const money = z.string().describe("a positive integer of minor units, as a string of digits");

export const playbookVentureInput = z.object({ ventureId: z.string().min(1) }).strict();

export const setPlaybookInput = z
  .object({
    ventureId: z.string().min(1),
    enabled: z.boolean().optional().describe("default true; false disarms the playbook"),
    currency: z.string().optional().describe("the venture's currency (the default); another is refused"),
    revenueThresholdMinor: money.describe("fire when trailing revenue reaches this (minor units, digits)"),
    windowDays: z.number().optional().describe("days of trailing revenue, ending today (1-366, default 30)"),
    budgetIncreaseMinor: money.describe(
      "budget to request from the portfolio treasury (minor units, digits)",
    ),
    concurrencyTarget: z.number().describe("tasks of the venture at once after approval (1-1000)"),
  })
  .strict();

export const listRunsInput = z
  .object({ ventureId: z.string().min(1), limit: z.number().int().min(1).max(100).optional() })
  .strict();

export const scaleUpRunOutput = z.object({
  runId: z.string(),
  ventureId: z.string(),
  playbookVersion: z.number().int(),
  status: z.enum(scaleUpRunStatuses),
  summary: z.string(),
  intentId: z.string(),
  intentStatus: z.string(),
  approvalsGiven: z.number().int(),
  approvalsRequired: z.number().int(),
  approvers: z.array(z.string()),
  currency: z.string(),
  trailingRevenueMinor: z.bigint(),
  revenueThresholdMinor: z.bigint(),
  windowDays: z.number().int(),
  budgetIncreaseMinor: z.bigint(),
  concurrencyBefore: z.number().int(),
  concurrencyTarget: z.number().int(),
  concurrencyAfter: z.number().int().nullable(),
  requestedBy: z.string(),
  reason: z.string().nullable(),
  firedAt: z.date(),
  decidedAt: z.date().nullable(),
  raisedAt: z.date().nullable(),
});

export const scaleUpPlaybookOutput = z.object({
  ventureId: z.string(),
  portfolioId: z.string(),
  currency: z.string(),
  currentConcurrency: z.number().int(),
  playbook: z
    .object({
      enabled: z.boolean(),
      currency: z.string(),
      revenueThresholdMinor: z.bigint(),
      windowDays: z.number().int(),
      budgetIncreaseMinor: z.bigint(),
      concurrencyTarget: z.number().int(),
      configuredBy: z.string(),
      version: z.number().int(),
      updatedAt: z.date(),
    })
    .nullable(),
  trailingRevenueMinor: z.bigint(),
  windowDays: z.number().int(),
  thresholdPassed: z.boolean(),
  fired: z.boolean(),
  armed: z.boolean(),
  latestRun: scaleUpRunOutput.nullable(),
});

export const setPlaybookOutput = z.object({ changed: z.boolean(), playbook: scaleUpPlaybookOutput });

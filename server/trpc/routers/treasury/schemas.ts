// Inputs and outputs of the treasury procedures; amounts cross the wire as strings of digits.
import { z } from "zod";
import type { MoneyIntentView } from "@/server/contexts/treasury/intents/api";
import { policyDecisionRecordSchema } from "@/server/shared/events/catalog/policy";
import { moneyIntentLifecycleStatuses, railNames } from "@/server/shared/events/catalog/treasury-rails";

export const createIntentInput = z
  .object({
    portfolioId: z.string().min(1),
    ventureId: z.string().min(1),
    amountMinor: z.string().describe("a positive integer of minor units, as a string of digits"),
    currency: z.string(),
    counterparty: z.string(),
    category: z.string(),
    purpose: z.string(),
    idempotencyKey: z.string(),
    expiresInMinutes: z.number().optional(),
  })
  .strict();

export const listIntentsInput = z
  .object({
    portfolioId: z.string().min(1),
    status: z.enum(moneyIntentLifecycleStatuses).optional(),
    ventureId: z.string().min(1).optional(),
  })
  .strict();

export const getIntentInput = z
  .object({ portfolioId: z.string().min(1), intentId: z.string().min(1) })
  .strict();

export const decideIntentInput = z
  .object({ portfolioId: z.string().min(1), intentId: z.string().min(1), note: z.string() })
  .strict();

export const freezeInput = z
  .object({
    portfolioId: z.string().min(1),
    /** Omit (or null) to freeze the whole portfolio's treasury. */
    ventureId: z.string().min(1).nullish(),
    reason: z.string(),
  })
  .strict();

export const portfolioInput = z.object({ portfolioId: z.string().min(1) }).strict();

export const intentOutput = z.object({
  id: z.string(),
  portfolioId: z.string(),
  ventureId: z.string(),
  amountMinor: z.string(),
  currency: z.string(),
  counterparty: z.string(),
  category: z.string(),
  purpose: z.string(),
  idempotencyKey: z.string(),
  requestedBy: z.string(),
  status: z.enum(moneyIntentLifecycleStatuses),
  approvalsRequired: z.number().int(),
  approvals: z.array(z.object({ approverId: z.string(), note: z.string(), createdAt: z.date() })),
  reasons: z.array(z.string()),
  decision: policyDecisionRecordSchema,
  holdId: z.string().nullable(),
  expiresAt: z.date(),
  decidedAt: z.date().nullable(),
  decidedBy: z.string().nullable(),
  decisionNote: z.string().nullable(),
  createdAt: z.date(),
  /** Paying the approved intent through a rail: status, the rail's reference, why it failed. */
  settlement: z
    .object({
      rail: z.enum(railNames),
      status: z.string(),
      railReference: z.string().nullable(),
      railStatus: z.string().nullable(),
      failureReason: z.string().nullable(),
      attempts: z.number().int(),
      submittedAt: z.date().nullable(),
      settledAt: z.date().nullable(),
    })
    .nullable(),
});

export const freezeOutput = z.object({
  id: z.string(),
  portfolioId: z.string(),
  ventureId: z.string().nullable(),
  reason: z.string(),
  frozenBy: z.string(),
  frozenAt: z.date(),
});

export function toIntentOutput(view: MoneyIntentView): z.infer<typeof intentOutput> {
  return { ...view, amountMinor: view.amountMinor.toString() };
}

// Money intent and freeze events (TREAS-001/002/006/007). Every decision embeds the
// PolicyDecisionRecord that made it; money is a string of digits in minor units.
import { z } from "zod";
import { policyDecisionRecordSchema } from "./policy";

const positiveMinor = z.string().regex(/^[1-9]\d*$/, "a positive integer amount in minor units");
export const moneyIntentStatuses = ["denied", "approved", "pending_approval"] as const;

export const treasuryIntentEvents = {
  "treasury.intent_created": {
    schemaVersion: 1,
    payload: z
      .object({
        intentId: z.string().min(1),
        portfolioId: z.string().min(1),
        ventureId: z.string().min(1),
        amountMinor: positiveMinor,
        currency: z.string().regex(/^[A-Z]{3}$/),
        counterparty: z.string().min(1),
        category: z.string().min(1),
        purpose: z.string().min(1),
        idempotencyKey: z.string().min(1),
        requestedBy: z.string().min(1),
        expiresAt: z.iso.datetime({ offset: true }),
      })
      .strict(),
  },
  "treasury.intent_decided": {
    schemaVersion: 1,
    payload: z
      .object({
        intentId: z.string().min(1),
        status: z.enum(moneyIntentStatuses),
        /** Who decided: "policy" at creation, else the person who approved or denied last. */
        decidedBy: z.string().min(1),
        reasons: z.array(z.string()),
        holdId: z.string().nullable(),
        approvalsRequired: z.number().int().min(0).max(2),
        note: z.string().nullable(),
        decision: policyDecisionRecordSchema,
      })
      .strict(),
  },
  "treasury.intent_approval_recorded": {
    schemaVersion: 1,
    payload: z
      .object({
        intentId: z.string().min(1),
        approverId: z.string().min(1),
        note: z.string(),
        approvalsGiven: z.number().int().min(1),
        approvalsRequired: z.number().int().min(1).max(2),
      })
      .strict(),
  },
  "treasury.frozen": {
    schemaVersion: 1,
    payload: z
      .object({
        portfolioId: z.string().min(1),
        ventureId: z.string().min(1).nullable(),
        reason: z.string().min(1),
      })
      .strict(),
  },
  "treasury.unfrozen": {
    schemaVersion: 1,
    payload: z
      .object({
        portfolioId: z.string().min(1),
        ventureId: z.string().min(1).nullable(),
        reason: z.string().min(1),
      })
      .strict(),
  },
} as const;

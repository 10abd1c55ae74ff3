// Portfolio rebalancing (ADR 0016, ORCH-007): budget transfers between two ventures of a portfolio.
// A transfer is a money intent (its own events are in treasury-intents.ts: created, decided,
// approvals, expiry); these record what only a transfer has: its two ventures and reason, and the
// one ledger entry that moved the budget. Money is a string of digits in minor units.
import { z } from "zod";

const positiveMinor = z.string().regex(/^[1-9]\d*$/, "a positive integer amount in minor units");
const currency = z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 code");

export const treasuryRebalancingEvents = {
  /** A budget transfer was requested as money intent intentId (held on the source's budget). */
  "treasury.budget_transfer_requested": {
    schemaVersion: 1,
    payload: z
      .object({
        intentId: z.string().min(1),
        portfolioId: z.string().min(1),
        fromVentureId: z.string().min(1),
        toVentureId: z.string().min(1),
        amountMinor: positiveMinor,
        currency,
        reason: z.string().min(1),
        requestedBy: z.string().min(1),
      })
      .strict(),
  },
  /**
   * The approved transfer moved the budget: the source's hold was released into entryId, one entry
   * that credits the source's budget and debits the target's (each venture's equity the other side).
   */
  "treasury.budget_transfer_settled": {
    schemaVersion: 1,
    payload: z
      .object({
        intentId: z.string().min(1),
        portfolioId: z.string().min(1),
        fromVentureId: z.string().min(1),
        toVentureId: z.string().min(1),
        amountMinor: positiveMinor,
        currency,
        holdId: z.string().min(1),
        entryId: z.string().min(1),
      })
      .strict(),
  },
} as const;

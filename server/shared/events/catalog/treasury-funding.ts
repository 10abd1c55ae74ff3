// Treasury funding (ADR 0012): capital deposited into a portfolio treasury, and budget allocations
// from the treasury to a venture. An allocation is a money intent (its own events are in
// treasury-intents.ts); these record what only an allocation has: its reason, and its settlement in
// both books. Money is a string of digits in minor units.
import { z } from "zod";

const positiveMinor = z.string().regex(/^[1-9]\d*$/, "a positive integer amount in minor units");
const currency = z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 code");

export const treasuryFundingEvents = {
  /** Capital came into the portfolio treasury: entryId debits its cash and credits its equity. */
  "treasury.deposit_recorded": {
    schemaVersion: 1,
    payload: z
      .object({
        depositId: z.string().min(1),
        portfolioId: z.string().min(1),
        amountMinor: positiveMinor,
        currency,
        source: z.string().min(1),
        idempotencyKey: z.string().min(1),
        entryId: z.string().min(1),
        depositedBy: z.string().min(1),
      })
      .strict(),
  },
  /** A budget allocation was requested as money intent intentId (held on the treasury's cash). */
  "treasury.allocation_requested": {
    schemaVersion: 1,
    payload: z
      .object({
        intentId: z.string().min(1),
        portfolioId: z.string().min(1),
        ventureId: z.string().min(1),
        amountMinor: positiveMinor,
        currency,
        reason: z.string().min(1),
        requestedBy: z.string().min(1),
      })
      .strict(),
  },
  /**
   * The approved allocation moved the money: treasuryEntryId posted the treasury's hold (cash to
   * venture_funding) and ventureEntryId credited the venture's budget (against its equity).
   */
  "treasury.allocation_settled": {
    schemaVersion: 1,
    payload: z
      .object({
        intentId: z.string().min(1),
        portfolioId: z.string().min(1),
        ventureId: z.string().min(1),
        amountMinor: positiveMinor,
        currency,
        treasuryEntryId: z.string().min(1),
        ventureEntryId: z.string().min(1),
      })
      .strict(),
  },
} as const;

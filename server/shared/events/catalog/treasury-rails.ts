// Rails, revenue, expiry, anomalies and reconciliation (TREAS-005…009, ADR 0011). Money is a
// string of digits in minor units; rail references are the rail's own ids (sbx_…, po_…, pi_…).
import { z } from "zod";
import { withPersonalData } from "../personal-data";
import { moneyIntentStatuses } from "./treasury-intents";

const positiveMinor = z.string().regex(/^[1-9]\d*$/, "a positive integer amount in minor units");
const signedMinor = z.string().regex(/^-?\d+$/, "an integer amount in minor units");
const currency = z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 code");
const isoTime = z.iso.datetime({ offset: true });

export const railNames = ["sandbox", "stripe"] as const;
export type RailName = (typeof railNames)[number];

/** Every status a money intent can have: the decided ones, then what happens after a decision. */
export const moneyIntentLifecycleStatuses = [...moneyIntentStatuses, "expired", "settled", "failed"] as const;

export const treasuryAnomalyKinds = ["velocity_spike", "burn_spike", "reconciliation_break"] as const;

export const reconciliationMismatchKinds = [
  "missing_on_rail",
  "missing_in_ledger",
  "amount_differs",
] as const;

export const reconciliationMismatchSchema = z
  .object({
    kind: z.enum(reconciliationMismatchKinds),
    railReference: z.string().min(1),
    ventureId: z.string().nullable(),
    currency,
    ledgerAmountMinor: signedMinor.nullable(),
    railAmountMinor: signedMinor.nullable(),
    detail: z.string(),
  })
  .strict();

const rail = z.enum(railNames);

export const treasuryRailEvents = {
  /** The rail accepted the payout of an approved intent (idempotency key = intent id). */
  "treasury.intent_settlement_submitted": {
    schemaVersion: 1,
    payload: z
      .object({
        intentId: z.string().min(1),
        rail,
        railReference: z.string().min(1),
        amountMinor: positiveMinor,
        currency,
      })
      .strict(),
  },
  /** The rail paid: the intent's hold was posted by entryId. */
  "treasury.intent_settled": {
    schemaVersion: 1,
    payload: z
      .object({
        intentId: z.string().min(1),
        rail,
        railReference: z.string().min(1),
        holdId: z.string().min(1),
        entryId: z.string().min(1),
        amountMinor: positiveMinor,
        currency,
      })
      .strict(),
  },
  /** The payout failed (or could not be submitted): the hold was voided, nothing was posted. */
  "treasury.intent_settlement_failed": {
    schemaVersion: 1,
    payload: z
      .object({
        intentId: z.string().min(1),
        rail,
        railReference: z.string().min(1).nullable(),
        holdId: z.string().min(1),
        reason: z.string().min(1),
      })
      .strict(),
  },
  /** A pending intent nobody decided before its expiry; its hold was released. */
  "treasury.intent_expired": {
    schemaVersion: 1,
    payload: z
      .object({
        intentId: z.string().min(1),
        holdId: z.string().min(1).nullable(),
        expiresAt: isoTime,
      })
      .strict(),
  },
  /**
   * An incoming payment posted to the venture's cash and revenue by entryId. The customer is
   * personal data: stored sealed with the customer's own key (a subject derived from the name or
   * email the rail gave, per portfolio), so an erasure makes it "[erased]" (docs/decisions/0013).
   */
  "treasury.revenue_received": withPersonalData(
    {
      schemaVersion: 1,
      payload: z
        .object({
          receiptId: z.string().min(1),
          portfolioId: z.string().min(1),
          ventureId: z.string().min(1),
          rail,
          railReference: z.string().min(1),
          amountMinor: positiveMinor,
          currency,
          customer: z.string().nullable(),
          entryId: z.string().min(1),
        })
        .strict(),
    },
    {
      subjectType: "customer",
      subject: { derivedFrom: "customer", scopeField: "portfolioId" },
      fields: ["customer"],
    },
  ),
  /** An automatic check found an anomaly; frozen tells whether it froze the treasury (TREAS-007). */
  "treasury.anomaly_detected": {
    schemaVersion: 1,
    payload: z
      .object({
        portfolioId: z.string().min(1),
        ventureId: z.string().min(1).nullable(),
        kind: z.enum(treasuryAnomalyKinds),
        detail: z.string().min(1),
        findingId: z.string().min(1),
        frozen: z.boolean(),
      })
      .strict(),
  },
  /** One reconciliation run: the ledger against a rail's statement for a period. */
  "treasury.reconciliation_completed": {
    schemaVersion: 1,
    payload: z
      .object({
        runId: z.string().min(1),
        portfolioId: z.string().min(1),
        rail,
        from: isoTime,
        to: isoTime,
        status: z.enum(["balanced", "breaks", "failed"]),
        matched: z.number().int().nonnegative(),
        inTransit: z.number().int().nonnegative(),
        mismatchCount: z.number().int().nonnegative(),
        /** The first 100 mismatches; mismatchCount has them all. */
        mismatches: z.array(reconciliationMismatchSchema).max(100),
        findingIds: z.array(z.string()),
        frozen: z.array(z.string()),
        error: z.string().nullable(),
        trigger: z.enum(["schedule", "request"]),
      })
      .strict(),
  },
} as const;

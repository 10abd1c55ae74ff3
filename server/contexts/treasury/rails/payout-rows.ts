// The payout queue's rows (treasury_payouts), read and moved with raw SQL (a hot path: one row per
// approved intent, visited by the worker until it settles).
import type { Db, Tx } from "@/server/shared/db";
import type { RailName } from "./rail";

export type PayoutStatus = "submitting" | "submitted" | "settled" | "failed";

export type PayoutRow = {
  intent_id: string;
  portfolio_id: string;
  venture_id: string;
  rail: RailName;
  amount_minor: bigint;
  currency: string;
  counterparty: string;
  hold_id: string;
  status: PayoutStatus;
  rail_reference: string | null;
  rail_status: string | null;
  failure_reason: string | null;
  attempts: number;
};

export const payoutColumns =
  "intent_id, portfolio_id, venture_id, rail, amount_minor, currency, counterparty, hold_id, status, rail_reference, rail_status, failure_reason, attempts";

export async function readPayout(
  db: Db | Tx,
  intentId: string,
  forUpdate = false,
): Promise<PayoutRow | null> {
  const [row] = await db.$queryRawUnsafe<PayoutRow[]>(
    `SELECT ${payoutColumns} FROM treasury_payouts WHERE intent_id = $1${forUpdate ? " FOR UPDATE" : ""}`,
    intentId,
  );
  return row ?? null;
}

/** Limits of the payout queue. */
export type PayoutLimits = {
  /** Submissions that could not reach the rail are retried this many times, then the payout fails. */
  submitAttemptsMax: number;
  /** Delay before retry n: backoffMs * 2^(n-1), at most a minute. */
  backoffMs: number;
  /** How often a submitted payout's status is asked of the rail (webhooks may tell us sooner). */
  pollMs: number;
  /** A hold expiring sooner than this is not sent to a rail: the payout could outlive it. */
  holdMarginMs: number;
};

export const defaultPayoutLimits: PayoutLimits = {
  submitAttemptsMax: 8,
  backoffMs: 1_000,
  pollMs: 5_000,
  holdMarginMs: 60_000,
};

export function backoffDelayMs(limits: PayoutLimits, attempts: number): number {
  return Math.min(limits.backoffMs * 2 ** Math.max(0, attempts - 1), 60_000);
}

// Holds (two-phase transfers), pure: input validation and the state machine
//   open ──post (0 < amount <= held, before expiry)──▶ posted   (the remainder is released)
//   open ──void (before expiry)───────────────────────▶ voided   (everything is released)
//   open ──expire (at or after expiry)────────────────▶ expired  (everything is released)
// A hold resolves at most once. The database holds the same rules (ledger_resolve_hold, the
// resolution trigger and the primary key on the resolution's hold id) and judges expiry by its own
// clock; this file is their statement in TypeScript and the wording of every hold refusal.
import { AppError } from "@/server/shared/errors";
import { describeFields } from "./accounts";
import { ledgerIdPattern, maxMemoLength } from "./balancing";
import { isInt64 } from "./currency";

export type HoldInput = {
  /** Chosen by the caller (e.g. the money intent's id) so a retry cannot hold twice. */
  id: string;
  /** The account the amount will be debited to on post (e.g. a venture's expense category). */
  debitAccountId: string;
  /** The account the amount is reserved on (e.g. a venture's budget). */
  creditAccountId: string;
  amountMinor: bigint;
  expiresAt: Date;
  memo?: string | null;
};

export type HoldStatus = "open" | "posted" | "voided" | "expired";
export type HoldOutcome = Exclude<HoldStatus, "open">;

export type HoldState = { id: string; amountMinor: bigint; expiresAt: Date; status: HoldStatus };

export type HoldCommand = { kind: "post"; amountMinor?: bigint } | { kind: "void" } | { kind: "expire" };

export type HoldDecision = { outcome: HoldOutcome; postedMinor: bigint; releasedMinor: bigint };

export const maxHoldsPerBatch = 5_000;
/** Holds are reservations, not storage: a year is the longest a budget reservation may last. */
export const maxHoldDurationMs = 366 * 24 * 3_600_000;

export function holdProblems(hold: HoldInput, prefix = ""): Record<string, string> {
  const fields: Record<string, string> = {};
  if (typeof hold.id !== "string" || !ledgerIdPattern.test(hold.id))
    fields[`${prefix}id`] = "a hold id (1-128 letters, digits, _ : . -)";
  if (typeof hold.debitAccountId !== "string" || !ledgerIdPattern.test(hold.debitAccountId)) {
    fields[`${prefix}debitAccountId`] = "an account id";
  }
  if (typeof hold.creditAccountId !== "string" || !ledgerIdPattern.test(hold.creditAccountId)) {
    fields[`${prefix}creditAccountId`] = "an account id";
  } else if (hold.creditAccountId === hold.debitAccountId) {
    fields[`${prefix}creditAccountId`] = "must differ from debitAccountId";
  }
  if (typeof hold.amountMinor !== "bigint") fields[`${prefix}amountMinor`] = "a bigint of minor units";
  else if (hold.amountMinor <= 0n) fields[`${prefix}amountMinor`] = "must be positive";
  else if (!isInt64(hold.amountMinor)) fields[`${prefix}amountMinor`] = "must fit in 64 bits";
  if (!(hold.expiresAt instanceof Date) || Number.isNaN(hold.expiresAt.getTime())) {
    fields[`${prefix}expiresAt`] = "a valid Date";
  }
  if (hold.memo != null && (typeof hold.memo !== "string" || hold.memo.length > maxMemoLength)) {
    fields[`${prefix}memo`] = `a string of at most ${maxMemoLength} characters`;
  }
  return fields;
}

/**
 * Validates holds before anything is sent. Whether expiresAt lies in the future is judged by the
 * database clock; here only the longest allowed duration is checked against `now`.
 */
export function assertValidHolds(holds: readonly HoldInput[], now: Date, field = "holds"): void {
  if (!Array.isArray(holds) || holds.length === 0 || holds.length > maxHoldsPerBatch) {
    throw new AppError("BAD_REQUEST", `${field} must hold 1 to ${maxHoldsPerBatch} holds`, {
      fields: { [field]: `1 to ${maxHoldsPerBatch} holds` },
    });
  }
  const fields: Record<string, string> = {};
  const ids = new Set<string>();
  const single = holds.length === 1;
  holds.forEach((hold, i) => {
    const prefix = single ? "" : `${field}[${i}].`;
    Object.assign(fields, holdProblems(hold, prefix));
    if (ids.has(hold.id)) fields[`${prefix}id`] = `hold id ${hold.id} appears twice in this batch`;
    ids.add(hold.id);
    if (hold.expiresAt instanceof Date && hold.expiresAt.getTime() - now.getTime() > maxHoldDurationMs) {
      fields[`${prefix}expiresAt`] = "at most 366 days ahead";
    }
  });
  if (Object.keys(fields).length > 0) {
    throw new AppError("BAD_REQUEST", `Invalid hold: ${describeFields(fields)}`, { fields });
  }
}

export function assertValidPostAmount(amountMinor: bigint | undefined): void {
  if (amountMinor === undefined) return;
  const problem =
    typeof amountMinor !== "bigint"
      ? "a bigint of minor units"
      : amountMinor <= 0n
        ? "must be positive (void the hold to release all of it)"
        : !isInt64(amountMinor)
          ? "must fit in 64 bits"
          : null;
  if (problem)
    throw new AppError("BAD_REQUEST", `amountMinor ${problem}`, { fields: { amountMinor: problem } });
}

/** Decides a resolution; throws the same AppError the database's refusal maps to. */
export function decideHold(state: HoldState, command: HoldCommand, now: Date): HoldDecision {
  if (state.status !== "open") throw holdResolvedError(state.id, state.status);
  const expired = state.expiresAt.getTime() <= now.getTime();
  if (command.kind === "expire") {
    if (!expired) throw holdNotExpiredError(state.id, state.expiresAt);
    return { outcome: "expired", postedMinor: 0n, releasedMinor: state.amountMinor };
  }
  if (expired) throw holdExpiredError(state.id, state.expiresAt);
  if (command.kind === "void")
    return { outcome: "voided", postedMinor: 0n, releasedMinor: state.amountMinor };
  const posted = command.amountMinor ?? state.amountMinor;
  if (posted <= 0n || posted > state.amountMinor) throw exceedsHoldError(state.id, state.amountMinor, posted);
  return { outcome: "posted", postedMinor: posted, releasedMinor: state.amountMinor - posted };
}

export function holdResolvedError(holdId: string, outcome: string): AppError {
  return new AppError("UNPROCESSABLE", `Hold ${holdId} is already ${outcome}; a hold resolves once`, {
    reason: "hold_resolved",
    holdId,
    outcome,
  });
}

export function holdExpiredError(holdId: string, expiresAt: Date | string): AppError {
  const at = typeof expiresAt === "string" ? expiresAt : expiresAt.toISOString();
  return new AppError(
    "UNPROCESSABLE",
    `Hold ${holdId} expired at ${at}; it can no longer be posted or voided, and the expiry job releases it`,
    { reason: "hold_expired", holdId, expiresAt: at },
  );
}

export function holdNotExpiredError(holdId: string, expiresAt: Date): AppError {
  return new AppError("UNPROCESSABLE", `Hold ${holdId} does not expire until ${expiresAt.toISOString()}`, {
    reason: "hold_not_expired",
    holdId,
    expiresAt: expiresAt.toISOString(),
  });
}

export function exceedsHoldError(holdId: string, heldMinor: bigint, requestedMinor: bigint): AppError {
  return new AppError(
    "UNPROCESSABLE",
    `Cannot post ${requestedMinor} minor units of hold ${holdId}: it holds ${heldMinor}`,
    {
      reason: "exceeds_hold",
      holdId,
      heldMinor: heldMinor.toString(),
      requestedMinor: requestedMinor.toString(),
      fields: { amountMinor: `at most ${heldMinor}` },
    },
  );
}

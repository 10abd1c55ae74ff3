// Reconciliation, pure (TREAS-009): the ledger's view of a period against a rail's statement.
// Statement lines are summed per reference (a payout and its failure net to zero, a payment and
// its charge are one reference); both sides are signed the same way (money out negative).
//
// - settled / received on our side: the rail must show the same amount → matched, else
//   missing_on_rail or amount_differs;
// - in transit on our side (submitted, not yet settled): the rail may show the payout or not yet;
//   any other amount is amount_differs;
// - failed on our side: the rail must show nothing moved (no line, or lines netting to zero);
// - left on the statement: a reference we do not know that moved money is missing_in_ledger,
//   unless it is a payout we are still submitting (its intent is named) → in transit.
import type { reconciliationMismatchKinds } from "@/server/shared/events/catalog/treasury-rails";
import type { StatementLine } from "./rail";

export type LedgerItem = {
  reference: string;
  ventureId: string | null;
  currency: string;
  /** Signed like the statement: a payout negative, a receipt positive. */
  amountMinor: bigint;
  state: "settled" | "received" | "in_transit" | "failed";
};

export type Mismatch = {
  kind: (typeof reconciliationMismatchKinds)[number];
  railReference: string;
  ventureId: string | null;
  currency: string;
  ledgerAmountMinor: bigint | null;
  railAmountMinor: bigint | null;
  detail: string;
};

export type MatchResult = { matched: number; inTransit: number; mismatches: Mismatch[] };

type RailSide = {
  amountMinor: bigint;
  currency: string;
  ventureId: string | null;
  intentId: string | null;
  kinds: Set<string>;
};

export function matchStatement(
  ledger: readonly LedgerItem[],
  lines: readonly StatementLine[],
  options: { submittingIntentIds?: ReadonlySet<string> } = {},
): MatchResult {
  const rail = new Map<string, RailSide>();
  for (const line of lines) {
    const side = rail.get(line.reference) ?? {
      amountMinor: 0n,
      currency: line.currency,
      ventureId: line.ventureId,
      intentId: line.intentId,
      kinds: new Set<string>(),
    };
    side.amountMinor += line.amountMinor;
    side.ventureId ??= line.ventureId;
    side.intentId ??= line.intentId;
    side.kinds.add(line.kind);
    rail.set(line.reference, side);
  }
  const result: MatchResult = { matched: 0, inTransit: 0, mismatches: [] };
  for (const item of ledger) {
    const side = rail.get(item.reference);
    rail.delete(item.reference);
    const railAmount = side?.amountMinor ?? null;
    const mismatch = (kind: Mismatch["kind"], detail: string) =>
      result.mismatches.push({
        kind,
        railReference: item.reference,
        ventureId: item.ventureId ?? side?.ventureId ?? null,
        currency: item.currency,
        ledgerAmountMinor: item.state === "failed" ? 0n : item.amountMinor,
        railAmountMinor: railAmount,
        detail,
      });
    const sameCurrency = !side || side.currency === item.currency;
    if (item.state === "in_transit") {
      if (!side || (sameCurrency && (railAmount === item.amountMinor || railAmount === 0n)))
        result.inTransit++;
      else
        mismatch(
          "amount_differs",
          `in transit for ${item.amountMinor} ${item.currency}, the rail shows ${railAmount} ${side.currency}`,
        );
      continue;
    }
    if (item.state === "failed") {
      if (!side || railAmount === 0n) result.matched++;
      else
        mismatch(
          "amount_differs",
          `failed in the ledger (nothing posted), the rail moved ${railAmount} ${side.currency}`,
        );
      continue;
    }
    if (!side) {
      mismatch(
        "missing_on_rail",
        `${item.state} in the ledger for ${item.amountMinor} ${item.currency}, not on the rail's statement`,
      );
    } else if (!sameCurrency || railAmount !== item.amountMinor) {
      mismatch(
        "amount_differs",
        `the ledger has ${item.amountMinor} ${item.currency}, the rail ${railAmount} ${side.currency}`,
      );
    } else {
      result.matched++;
    }
  }
  for (const [reference, side] of rail) {
    if (side.amountMinor === 0n) continue;
    if (side.intentId && options.submittingIntentIds?.has(side.intentId)) {
      result.inTransit++;
      continue;
    }
    result.mismatches.push({
      kind: "missing_in_ledger",
      railReference: reference,
      ventureId: side.ventureId,
      currency: side.currency,
      ledgerAmountMinor: null,
      railAmountMinor: side.amountMinor,
      detail: `the rail booked ${side.amountMinor} ${side.currency} (${[...side.kinds].join(", ")}) that the ledger does not have`,
    });
  }
  return result;
}

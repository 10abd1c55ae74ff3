import { describe, expect, it } from "vitest";
import type { StatementLine } from "./rail";
import { type LedgerItem, matchStatement } from "./reconcile-rules";

const line = (reference: string, amountMinor: bigint, over: Partial<StatementLine> = {}): StatementLine => ({
  reference,
  kind: amountMinor < 0n ? "payout" : "payment",
  amountMinor,
  currency: "USD",
  createdAt: new Date("2026-11-28T10:00:00Z"),
  ventureId: "ven_a",
  intentId: null,
  description: null,
  ...over,
});

const item = (reference: string, amountMinor: bigint, state: LedgerItem["state"]): LedgerItem => ({
  reference,
  ventureId: "ven_a",
  currency: "USD",
  amountMinor,
  state,
});

describe("matchStatement", () => {
  it("matches settled payouts and receipts of the same amount", () => {
    const result = matchStatement(
      [item("po_1", -500n, "settled"), item("pi_1", 900n, "received")],
      [line("po_1", -500n), line("pi_1", 900n)],
    );
    expect(result).toEqual({ matched: 2, inTransit: 0, mismatches: [] });
  });

  it("sums the lines of one reference: a failed payout and its reversal net to nothing", () => {
    const result = matchStatement(
      [item("po_2", -700n, "failed")],
      [line("po_2", -700n), line("po_2", 700n, { kind: "payout" })],
    );
    expect(result).toEqual({ matched: 1, inTransit: 0, mismatches: [] });
  });

  it("names what is missing on either side and what differs", () => {
    const result = matchStatement(
      [item("po_3", -100n, "settled"), item("po_4", -200n, "settled"), item("po_6", -50n, "failed")],
      [line("po_4", -250n), line("fee_1", -35n, { kind: "adjustment", ventureId: null }), line("po_6", -50n)],
    );
    expect(result.matched).toBe(0);
    expect(
      result.mismatches.map((m) => [m.kind, m.railReference, m.ledgerAmountMinor, m.railAmountMinor]),
    ).toEqual([
      ["missing_on_rail", "po_3", -100n, null],
      ["amount_differs", "po_4", -200n, -250n],
      ["amount_differs", "po_6", 0n, -50n],
      ["missing_in_ledger", "fee_1", null, -35n],
    ]);
  });

  it("treats a currency that differs as an amount that differs", () => {
    const result = matchStatement(
      [item("pi_2", 900n, "received")],
      [line("pi_2", 900n, { currency: "EUR" })],
    );
    expect(result.mismatches.map((m) => m.kind)).toEqual(["amount_differs"]);
  });

  it("counts payouts in flight as in transit, whether or not the rail shows them yet", () => {
    const result = matchStatement(
      [item("po_7", -300n, "in_transit"), item("po_8", -400n, "in_transit")],
      [line("po_7", -300n), line("po_9", -60n, { intentId: "mi_submitting" })],
      { submittingIntentIds: new Set(["mi_submitting"]) },
    );
    expect(result).toEqual({ matched: 0, inTransit: 3, mismatches: [] });
  });
});

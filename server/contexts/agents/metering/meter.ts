// Where agent spend meets the money (AGENT-004 "tokens and cost charged to the venture"): before a
// model call a hold for its maximum cost on the venture's budget, after it the actual cost posted
// and the rest released. Two-phase like every approval of money (STYLE 12), so concurrent calls
// can never together spend more than the budget holds.
//
// Adapter point: treasury has no api.ts yet, so this one file calls the ledger's record* helpers
// directly (they write the ledger and append treasury.hold_* events in the caller's transaction).
// When treasury publishes its api, only these imports change.
import { accountId, expenseAccountCode } from "@/server/contexts/treasury/ledger/accounts";
import { type Currency, isCurrency } from "@/server/contexts/treasury/ledger/currency";
import {
  recordHoldPlaced,
  recordHoldPosted,
  recordHoldVoided,
} from "@/server/contexts/treasury/ledger/record";
import type { Tx } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { CommandContext } from "@/server/shared/events/store";

export type SpendHold = {
  holdId: string;
  ventureId: string;
  currency: string;
  /** Expense category the spend is booked to (models, tools, compute). */
  category: "models" | "tools" | "compute";
  amountMinor: bigint;
  expiresAt: Date;
  memo: string;
};

export interface SpendMeter {
  /** Reserves the amount on the venture's budget; throws UNPROCESSABLE when the budget cannot hold it. */
  reserve(tx: Tx, ctx: CommandContext, hold: SpendHold): Promise<void>;
  /** Posts `amountMinor` of the hold (0 voids it) and releases the rest. */
  settle(tx: Tx, ctx: CommandContext, options: { holdId: string; amountMinor: bigint }): Promise<void>;
}

function currencyOf(value: string): Currency {
  if (!isCurrency(value)) {
    throw new AppError("UNPROCESSABLE", `The venture's currency ${value} is not one the ledger knows`, {
      reason: "currency",
    });
  }
  return value;
}

/** The ledger: debit the venture's expense account of the category, credit (reserve on) its budget. */
export const ledgerMeter: SpendMeter = {
  async reserve(tx, ctx, hold) {
    const currency = currencyOf(hold.currency);
    await recordHoldPlaced(tx, ctx, {
      id: hold.holdId,
      debitAccountId: accountId({
        bookId: hold.ventureId,
        code: expenseAccountCode(hold.category),
        currency,
      }),
      creditAccountId: accountId({ bookId: hold.ventureId, code: "budget", currency }),
      amountMinor: hold.amountMinor,
      expiresAt: hold.expiresAt,
      memo: hold.memo,
    });
  },
  async settle(tx, ctx, options) {
    if (options.amountMinor > 0n)
      await recordHoldPosted(tx, ctx, { holdId: options.holdId, amountMinor: options.amountMinor });
    else await recordHoldVoided(tx, ctx, { holdId: options.holdId });
  },
};

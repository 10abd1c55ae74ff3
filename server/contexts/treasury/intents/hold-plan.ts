// Where an intent's hold reserves the money (pure). A spend holds on the venture's budget against the
// expense category it will be posted to. A budget allocation (ADR 0012) holds on the portfolio
// treasury's cash against its venture_funding account, so the treasury can never promise more than
// it has, and settles by posting that hold and crediting the venture's budget. A budget transfer
// between two ventures (ADR 0016) holds on the source venture's budget against its equity, so
// concurrent transfers and spends can never take more than the budget has.
import { accountId, expenseAccountCode } from "../ledger/accounts";
import type { Currency } from "../ledger/currency";

export type HoldOn = "venture_budget" | "portfolio_treasury" | "venture_transfer";

export type HoldPlan = {
  /** The books to open in the intent's currency before the hold (idempotent). */
  open: Array<{
    portfolioId: string;
    ventureId?: string | null;
    currency: Currency;
    expenseCategories?: readonly string[];
  }>;
  debitAccountId: string;
  creditAccountId: string;
  /** How a refusal by the ledger reads in the intent's reasons. */
  shortfall: string;
};

export function holdPlan(
  holdOn: HoldOn,
  intent: { portfolioId: string; ventureId: string; currency: Currency; category: string },
): HoldPlan {
  const { portfolioId, ventureId, currency } = intent;
  if (holdOn === "portfolio_treasury") {
    return {
      open: [
        { portfolioId, currency },
        // The venture's whole chart (default expense categories included): the budget is for
        // spending, and the first model call must find its expense account.
        { portfolioId, ventureId, currency },
      ],
      debitAccountId: accountId({ bookId: portfolioId, code: "venture_funding", currency }),
      creditAccountId: accountId({ bookId: portfolioId, code: "cash", currency }),
      shortfall: "The portfolio treasury's cash cannot cover the amount",
    };
  }
  if (holdOn === "venture_transfer") {
    return {
      // No expense account: a transfer is not a spend, and settles into the target's budget.
      open: [{ portfolioId, ventureId, currency }],
      debitAccountId: accountId({ bookId: ventureId, code: "equity", currency }),
      creditAccountId: accountId({ bookId: ventureId, code: "budget", currency }),
      shortfall: "The source venture's budget cannot cover the amount",
    };
  }
  return {
    open: [{ portfolioId, ventureId, currency, expenseCategories: [intent.category] }],
    debitAccountId: accountId({ bookId: ventureId, code: expenseAccountCode(intent.category), currency }),
    creditAccountId: accountId({ bookId: ventureId, code: "budget", currency }),
    shortfall: "The venture's budget cannot cover the amount",
  };
}

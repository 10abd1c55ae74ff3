// A venture's book (TREAS-003/004): every account with its posted, pending and available balance,
// and per currency what it can spend (budget + cash, after holds), has earned and has spent.
import type { Db } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import {
  type AccountBalance,
  type AccountRow,
  accountColumns,
  toAccountBalance,
} from "../ledger/account-rows";
import type { Currency } from "../ledger/currency";

export type VentureBalances = {
  ventureId: string;
  portfolioId: string;
  accounts: AccountBalance[];
  summary: Array<{
    currency: Currency;
    budgetAvailableMinor: bigint;
    /** Held against the budget by approved and pending intents. */
    budgetHeldMinor: bigint;
    cashAvailableMinor: bigint;
    revenueMinor: bigint;
    expensesMinor: bigint;
    /** What the portfolio allocated to the venture (its equity). */
    fundedMinor: bigint;
  }>;
};

export async function ventureBalances(options: { db: Db; ventureId: string }): Promise<VentureBalances> {
  const [venture] = await options.db.$queryRawUnsafe<Array<{ portfolio_id: string }>>(
    "SELECT portfolio_id FROM ventures WHERE id = $1",
    options.ventureId,
  );
  if (!venture) {
    throw new AppError("NOT_FOUND", `Venture ${options.ventureId} not found`, {
      fields: { ventureId: "unknown venture" },
    });
  }
  const rows = await options.db.$queryRawUnsafe<AccountRow[]>(
    `SELECT ${accountColumns} FROM ledger_accounts WHERE venture_id = $1 ORDER BY currency, code`,
    options.ventureId,
  );
  const accounts = rows.map(toAccountBalance);
  const summary = new Map<Currency, VentureBalances["summary"][number]>();
  for (const a of accounts) {
    const s = summary.get(a.currency) ?? {
      currency: a.currency,
      budgetAvailableMinor: 0n,
      budgetHeldMinor: 0n,
      cashAvailableMinor: 0n,
      revenueMinor: 0n,
      expensesMinor: 0n,
      fundedMinor: 0n,
    };
    if (a.code === "budget") {
      s.budgetAvailableMinor += a.availableMinor;
      s.budgetHeldMinor += a.creditsPendingMinor;
    } else if (a.code === "cash") s.cashAvailableMinor += a.availableMinor;
    else if (a.kind === "revenue") s.revenueMinor += a.postedMinor;
    else if (a.kind === "expense") s.expensesMinor += a.postedMinor;
    else if (a.code === "equity") s.fundedMinor += a.postedMinor;
    summary.set(a.currency, s);
  }
  return {
    ventureId: options.ventureId,
    portfolioId: venture.portfolio_id,
    accounts,
    summary: [...summary.values()],
  };
}

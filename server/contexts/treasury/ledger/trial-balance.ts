import { AppError, invariant } from "@/server/shared/errors";
import { type AccountBalance, type AccountRow, accountColumns, toAccountBalance } from "./account-rows";
import type { Currency } from "./currency";
import { type LedgerTx, runLedgerSql } from "./sql";

export type CurrencyTotals = {
  currency: Currency;
  accounts: number;
  debitsPostedMinor: bigint;
  creditsPostedMinor: bigint;
  /** debits - credits over the scope: zero, because every entry balances per book and currency. */
  netPostedMinor: bigint;
  debitsPendingMinor: bigint;
  creditsPendingMinor: bigint;
};

export type TrialBalance = {
  scope: { portfolioId: string | null; ventureId: string | null };
  currencies: CurrencyTotals[];
  accounts: AccountBalance[];
};

export const maxTrialBalanceAccounts = 20_000;

/**
 * The trial balance of a venture's book, of a portfolio (its treasury and all its ventures), or of
 * the whole ledger when neither is given: per currency, total debits equal total credits, posted
 * and pending alike. A scope that does not sum to zero is a broken invariant, not a report line.
 */
export async function trialBalance(
  db: LedgerTx,
  options: { portfolioId?: string | null; ventureId?: string | null } = {},
): Promise<TrialBalance> {
  const portfolioId = options.portfolioId ?? null;
  const ventureId = options.ventureId ?? null;
  const rows = await runLedgerSql<AccountRow>(
    db,
    `SELECT ${accountColumns} FROM ledger_accounts
      WHERE ($1::text IS NULL OR portfolio_id = $1) AND ($2::text IS NULL OR venture_id = $2)
      ORDER BY currency, book_id, code
      LIMIT ${maxTrialBalanceAccounts + 1}`,
    [portfolioId, ventureId],
  );
  if (rows.length > maxTrialBalanceAccounts) {
    throw new AppError("UNPROCESSABLE", `More than ${maxTrialBalanceAccounts} accounts in scope; narrow it`, {
      fields: { portfolioId: "narrow the scope" },
    });
  }
  const accounts = rows.map(toAccountBalance);
  const totals = new Map<Currency, CurrencyTotals>();
  for (const a of accounts) {
    const t = totals.get(a.currency) ?? {
      currency: a.currency,
      accounts: 0,
      debitsPostedMinor: 0n,
      creditsPostedMinor: 0n,
      netPostedMinor: 0n,
      debitsPendingMinor: 0n,
      creditsPendingMinor: 0n,
    };
    t.accounts += 1;
    t.debitsPostedMinor += a.debitsPostedMinor;
    t.creditsPostedMinor += a.creditsPostedMinor;
    t.netPostedMinor = t.debitsPostedMinor - t.creditsPostedMinor;
    t.debitsPendingMinor += a.debitsPendingMinor;
    t.creditsPendingMinor += a.creditsPendingMinor;
    totals.set(a.currency, t);
  }
  // Assert after the read: any whole set of books sums to zero per currency (invariant 1).
  for (const t of totals.values()) {
    invariant(
      t.netPostedMinor === 0n,
      `posted ${t.currency} sums to zero in scope (it sums to ${t.netPostedMinor})`,
    );
    invariant(
      t.debitsPendingMinor === t.creditsPendingMinor,
      `pending ${t.currency} debits equal pending credits`,
    );
  }
  return { scope: { portfolioId, ventureId }, currencies: [...totals.values()], accounts };
}

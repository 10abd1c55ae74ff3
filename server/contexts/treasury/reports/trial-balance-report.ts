// The trial balance (TREAS-009) of a portfolio (its treasury and every venture) or of one venture's
// book, per currency: each account's posted balance in the debit or the credit column, and a totals
// row where the two columns are equal — the difference is zero because every entry balances per
// book and currency (invariant 1; the ledger's trialBalance asserts it after reading).
import type { Db } from "@/server/shared/db";
import type { Currency } from "../ledger/currency";
import { trialBalance } from "../ledger/trial-balance";

export type TrialBalanceRow = {
  accountId: string;
  bookId: string;
  /** Null for the portfolio treasury's own accounts. */
  ventureId: string | null;
  ventureName: string | null;
  code: string;
  kind: string;
  debitMinor: bigint;
  creditMinor: bigint;
  pendingDebitsMinor: bigint;
  pendingCreditsMinor: bigint;
};

export type TrialBalanceCurrency = {
  currency: Currency;
  rows: TrialBalanceRow[];
  totalDebitMinor: bigint;
  totalCreditMinor: bigint;
  /** totalDebitMinor - totalCreditMinor: zero. */
  differenceMinor: bigint;
  totalPendingDebitsMinor: bigint;
  totalPendingCreditsMinor: bigint;
};

export type TrialBalanceReport = {
  portfolioId: string;
  ventureId: string | null;
  asOf: Date;
  currencies: TrialBalanceCurrency[];
};

export async function trialBalanceReport(options: {
  db: Db;
  portfolioId: string;
  ventureId?: string | null;
}): Promise<TrialBalanceReport> {
  const ventureId = options.ventureId ?? null;
  const asOf = new Date();
  const [balance, ventures] = await Promise.all([
    trialBalance(options.db, { portfolioId: options.portfolioId, ventureId }),
    options.db.$queryRawUnsafe<Array<{ id: string; name: string }>>(
      "SELECT id, name FROM ventures WHERE portfolio_id = $1",
      options.portfolioId,
    ),
  ]);
  const names = new Map(ventures.map((v) => [v.id, v.name]));
  const byCurrency = new Map<Currency, TrialBalanceCurrency>();
  for (const account of balance.accounts) {
    const section = byCurrency.get(account.currency) ?? {
      currency: account.currency,
      rows: [],
      totalDebitMinor: 0n,
      totalCreditMinor: 0n,
      differenceMinor: 0n,
      totalPendingDebitsMinor: 0n,
      totalPendingCreditsMinor: 0n,
    };
    const net = account.debitsPostedMinor - account.creditsPostedMinor;
    const row: TrialBalanceRow = {
      accountId: account.id,
      bookId: account.bookId,
      ventureId: account.ventureId,
      ventureName: account.ventureId ? (names.get(account.ventureId) ?? null) : null,
      code: account.code,
      kind: account.kind,
      debitMinor: net > 0n ? net : 0n,
      creditMinor: net < 0n ? -net : 0n,
      pendingDebitsMinor: account.debitsPendingMinor,
      pendingCreditsMinor: account.creditsPendingMinor,
    };
    section.rows.push(row);
    section.totalDebitMinor += row.debitMinor;
    section.totalCreditMinor += row.creditMinor;
    section.differenceMinor = section.totalDebitMinor - section.totalCreditMinor;
    section.totalPendingDebitsMinor += row.pendingDebitsMinor;
    section.totalPendingCreditsMinor += row.pendingCreditsMinor;
    byCurrency.set(account.currency, section);
  }
  // Treasury accounts first, then each venture's book, then by code.
  for (const section of byCurrency.values()) {
    section.rows.sort(
      (a, b) =>
        Number(a.ventureId !== null) - Number(b.ventureId !== null) ||
        (a.ventureName ?? "").localeCompare(b.ventureName ?? "") ||
        a.bookId.localeCompare(b.bookId) ||
        a.code.localeCompare(b.code),
    );
  }
  return {
    portfolioId: options.portfolioId,
    ventureId,
    asOf,
    currencies: [...byCurrency.values()].sort((a, b) => a.currency.localeCompare(b.currency)),
  };
}

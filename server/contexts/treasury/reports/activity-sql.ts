// The two reads every report is made of, in raw SQL over indexes (ADR 0012): what was posted to a
// portfolio's revenue and expense accounts over a range of days (from ledger_daily_totals, so the
// cost grows with accounts x days, not with postings), and the balances a venture can spend from.
// Sums leave SQL as text (numeric, no overflow) and become bigint here.
import type { Db, Tx } from "@/server/shared/db";
import { type AccountRow, accountColumns, toAccountBalance } from "../ledger/account-rows";
import { type Currency, parseMinor } from "../ledger/currency";
import type { Day } from "./period";

export type ActivityRow = {
  ventureId: string | null;
  currency: Currency;
  kind: "revenue" | "expense";
  /** The account code (revenue, expense:<category>); null when grouped by kind only. */
  code: string | null;
  /** Null unless grouped by day. */
  day: Day | null;
  /** On the account's normal side: credits - debits for revenue, debits - credits for expenses. */
  amountMinor: bigint;
};

type Row = {
  venture_id: string | null;
  currency: string;
  kind: "revenue" | "expense";
  code: string | null;
  day: string | null;
  debits: string;
  credits: string;
};

/**
 * Revenue and expenses posted in [from, to] (days, inclusive) in a portfolio, or one venture,
 * grouped by venture, currency and kind, and optionally by account code and/or day.
 */
export async function readActivity(
  db: Db | Tx,
  options: {
    portfolioId: string;
    ventureId?: string | null;
    from: Day;
    to: Day;
    byCode?: boolean;
    byDay?: boolean;
    /** Group the whole portfolio together instead of per venture. */
    byVenture?: boolean;
  },
): Promise<ActivityRow[]> {
  const byVenture = options.byVenture ?? true;
  const groups = [
    byVenture ? "a.venture_id" : "NULL::text",
    "a.currency::text",
    "a.kind",
    options.byCode ? "a.code" : "NULL::text",
    options.byDay ? "to_char(d.day, 'YYYY-MM-DD')" : "NULL::text",
  ];
  const rows = await db.$queryRawUnsafe<Row[]>(
    `SELECT ${groups[0]} AS venture_id, ${groups[1]} AS currency, ${groups[2]} AS kind, ${groups[3]} AS code,
            ${groups[4]} AS day, sum(d.debits_minor)::text AS debits, sum(d.credits_minor)::text AS credits
       FROM ledger_accounts a
       JOIN ledger_daily_totals d ON d.account_id = a.id AND d.day BETWEEN $2::date AND $3::date
      WHERE a.portfolio_id = $1 AND a.kind IN ('revenue', 'expense')
        AND ($4::text IS NULL OR a.venture_id = $4)
      GROUP BY 1, 2, 3, 4, 5`,
    options.portfolioId,
    options.from,
    options.to,
    options.ventureId ?? null,
  );
  return rows.map((row) => {
    const debits = parseMinor(row.debits);
    const credits = parseMinor(row.credits);
    return {
      ventureId: row.venture_id,
      currency: row.currency as Currency,
      kind: row.kind,
      code: row.code,
      day: row.day,
      amountMinor: row.kind === "revenue" ? credits - debits : debits - credits,
    };
  });
}

export type SpendableRow = {
  /** Null for the portfolio treasury. */
  ventureId: string | null;
  currency: Currency;
  /** Treasury: its cash. Venture: its budget and its cash (earned, not yet budgeted). */
  budgetAvailableMinor: bigint;
  cashAvailableMinor: bigint;
};

/** Available balances (posted minus held) of the accounts money is spent from, per book and currency. */
export async function readSpendable(
  db: Db | Tx,
  options: { portfolioId: string; ventureId?: string | null },
): Promise<SpendableRow[]> {
  const rows = await db.$queryRawUnsafe<AccountRow[]>(
    `SELECT ${accountColumns} FROM ledger_accounts
      WHERE portfolio_id = $1 AND code IN ('cash', 'budget') AND ($2::text IS NULL OR venture_id = $2)`,
    options.portfolioId,
    options.ventureId ?? null,
  );
  const byBook = new Map<string, SpendableRow>();
  for (const account of rows.map(toAccountBalance)) {
    const key = `${account.bookId}:${account.currency}`;
    const entry = byBook.get(key) ?? {
      ventureId: account.ventureId,
      currency: account.currency,
      budgetAvailableMinor: 0n,
      cashAvailableMinor: 0n,
    };
    if (account.code === "budget") entry.budgetAvailableMinor += account.availableMinor;
    else entry.cashAvailableMinor += account.availableMinor;
    byBook.set(key, entry);
  }
  return [...byBook.values()];
}

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
 * grouped by venture, currency and kind, and optionally by account code and/or day. A group
 * appears only when at least one of its accounts has daily totals in the period.
 *
 * The daily totals are ledger_daily_totals (ADR 0004, "Who keeps the books"): each account's
 * latest day on its own row, earlier days in ledger_closed_daily_totals. The query reads those two
 * places itself, per account: one index range scan of the closed days in the period (index only,
 * on ledger_closed_daily_totals_window_idx) and the account row it already has, instead of joining
 * the view, which scans every closed day of the portfolio and joins back to the accounts. Without
 * days, each account's period is summed inside its range scan, so the grouping sees one row per
 * account (~350 for 50 ventures) instead of one per account and day (~10,500 for 30 days).
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
  const ventureId = options.ventureId ?? null;
  // Grouped on the stored columns, formatted once per group afterwards: casting and hashing text
  // per account-day row doubled the by-day read.
  const keys = [
    ...(byVenture ? ["a.venture_id"] : []),
    "a.currency",
    "a.kind",
    ...(options.byCode ? ["a.code"] : []),
    ...(options.byDay ? ["t.day"] : []),
  ];
  const columns = `${byVenture ? "g.venture_id" : "NULL::text"} AS venture_id, g.currency::text AS currency, g.kind,
    ${options.byCode ? "g.code" : "NULL::text"} AS code,
    ${options.byDay ? "to_char(g.day, 'YYYY-MM-DD')" : "NULL::text"} AS day,
    g.debits::text AS debits, g.credits::text AS credits`;
  // Two statement texts rather than "$4 IS NULL OR venture_id = $4": each is prepared once per
  // connection and keeps a plan fit for its own filter.
  const accounts = `a.portfolio_id = $1 AND a.kind IN ('revenue', 'expense')${ventureId === null ? "" : " AND a.venture_id = $4"}`;
  const latestInPeriod = "a.totals_postings > 0 AND a.totals_day BETWEEN $2::date AND $3::date";
  const sql = options.byDay
    ? `SELECT ${columns} FROM (
         SELECT ${keys.join(", ")}, sum(t.debits) AS debits, sum(t.credits) AS credits
           FROM ledger_accounts a
          CROSS JOIN LATERAL (
                SELECT c.day, c.debits_minor AS debits, c.credits_minor AS credits
                  FROM ledger_closed_daily_totals c
                 WHERE c.account_id = a.id AND c.day BETWEEN $2::date AND $3::date
                UNION ALL
                SELECT a.totals_day, a.totals_debits_minor, a.totals_credits_minor WHERE ${latestInPeriod}) t
          WHERE ${accounts}
          GROUP BY ${keys.join(", ")}) g`
    : `SELECT ${columns} FROM (
         SELECT ${keys.join(", ")}, sum(t.debits) AS debits, sum(t.credits) AS credits
           FROM ledger_accounts a
          CROSS JOIN LATERAL (
                SELECT count(*) AS days,
                       coalesce(sum(c.debits_minor), 0)
                         + CASE WHEN ${latestInPeriod} THEN a.totals_debits_minor ELSE 0 END AS debits,
                       coalesce(sum(c.credits_minor), 0)
                         + CASE WHEN ${latestInPeriod} THEN a.totals_credits_minor ELSE 0 END AS credits
                  FROM ledger_closed_daily_totals c
                 WHERE c.account_id = a.id AND c.day BETWEEN $2::date AND $3::date) t
          WHERE ${accounts} AND (t.days > 0 OR (${latestInPeriod}))
          GROUP BY ${keys.join(", ")}) g`;
  const values: unknown[] = [options.portfolioId, options.from, options.to];
  if (ventureId !== null) values.push(ventureId);
  const rows = await db.$queryRawUnsafe<Row[]>(sql, ...values);
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

// Recomputes the per-day totals the reports read from the immutable postings and entries, and names
// every (account, day) where the stored row differs. For tests and reconciliation; it scans the
// postings of the scope, so it is not for the dashboard's hot path.
import type { Db } from "@/server/shared/db";

export type DailyTotalMismatch = {
  accountId: string;
  day: string;
  stored: { debitsMinor: string; creditsMinor: string; postings: number } | null;
  recomputed: { debitsMinor: string; creditsMinor: string; postings: number } | null;
};

export async function verifyDailyTotals(options: {
  db: Db;
  portfolioId?: string | null;
}): Promise<{ checkedRows: number; mismatches: DailyTotalMismatch[] }> {
  const rows = await options.db.$queryRawUnsafe<
    Array<{
      account_id: string;
      day: string;
      s_debits: string | null;
      s_credits: string | null;
      s_postings: number | null;
      r_debits: string | null;
      r_credits: string | null;
      r_postings: number | null;
    }>
  >(
    `WITH scope AS (
       SELECT id FROM ledger_accounts WHERE $1::text IS NULL OR portfolio_id = $1
     ), recomputed AS (
       SELECT p.account_id, (e.created_at AT TIME ZONE 'UTC')::date AS day,
              sum(greatest(p.amount_minor, 0)) AS debits, sum(greatest(-p.amount_minor, 0)) AS credits,
              count(*)::int AS postings
         FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id
        WHERE p.account_id IN (SELECT id FROM scope)
        GROUP BY 1, 2
     ), stored AS (
       SELECT account_id, day, debits_minor AS debits, credits_minor AS credits, postings
         FROM ledger_daily_totals WHERE account_id IN (SELECT id FROM scope)
     )
     SELECT coalesce(s.account_id, r.account_id) AS account_id,
            to_char(coalesce(s.day, r.day), 'YYYY-MM-DD') AS day,
            s.debits::text AS s_debits, s.credits::text AS s_credits, s.postings AS s_postings,
            r.debits::text AS r_debits, r.credits::text AS r_credits, r.postings AS r_postings
       FROM stored s FULL JOIN recomputed r ON r.account_id = s.account_id AND r.day = s.day
      ORDER BY 1, 2`,
    options.portfolioId ?? null,
  );
  const mismatches: DailyTotalMismatch[] = [];
  for (const row of rows) {
    const same =
      row.s_debits === row.r_debits && row.s_credits === row.r_credits && row.s_postings === row.r_postings;
    if (same) continue;
    mismatches.push({
      accountId: row.account_id,
      day: row.day,
      stored:
        row.s_debits === null
          ? null
          : { debitsMinor: row.s_debits, creditsMinor: row.s_credits!, postings: row.s_postings! },
      recomputed:
        row.r_debits === null
          ? null
          : { debitsMinor: row.r_debits, creditsMinor: row.r_credits!, postings: row.r_postings! },
    });
  }
  return { checkedRows: rows.length, mismatches };
}

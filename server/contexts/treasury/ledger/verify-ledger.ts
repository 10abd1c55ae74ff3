import { type LedgerTx, runLedgerSql } from "./sql";

export type LedgerVerification = {
  ok: boolean;
  /** Accounts whose stored balances differ from the sum of their postings and open holds. */
  accountMismatches: Array<{ accountId: string; stored: string; recomputed: string }>;
  /** Entries whose postings do not sum to zero per book and currency, or miss a posting. */
  unbalancedEntries: string[];
  /** Open holds missing from the expiry queue, or queued holds that already resolved. */
  queueMismatches: string[];
  /** Flagged accounts below their floor. */
  belowFloor: string[];
};

/**
 * Recomputes every balance from the immutable rows (postings for posted, unresolved holds for
 * pending) and compares it with the account rows, for reconciliation, evidence packs and tests.
 * A full scan: run it from a job, not from a request.
 */
export async function verifyLedger(
  db: LedgerTx,
  options: { portfolioId?: string | null } = {},
): Promise<LedgerVerification> {
  const portfolioId = options.portfolioId ?? null;
  const accountMismatches = await runLedgerSql<{ account_id: string; stored: string; recomputed: string }>(
    db,
    `WITH posted AS (
       SELECT account_id, sum(greatest(amount_minor, 0)) AS debits, sum(greatest(-amount_minor, 0)) AS credits
         FROM ledger_postings GROUP BY account_id
     ), open_holds AS (
       SELECT h.* FROM ledger_holds h
        WHERE NOT EXISTS (SELECT 1 FROM ledger_hold_resolutions r WHERE r.hold_id = h.id)
     ), pending AS (
       SELECT account_id, sum(debits) AS debits, sum(credits) AS credits
         FROM (SELECT debit_account_id AS account_id, amount_minor AS debits, 0 AS credits FROM open_holds
               UNION ALL SELECT credit_account_id, 0, amount_minor FROM open_holds) x
        GROUP BY account_id
     )
     SELECT a.id AS account_id,
            concat_ws(' ', a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending) AS stored,
            concat_ws(' ', coalesce(p.debits, 0), coalesce(p.credits, 0), coalesce(q.debits, 0), coalesce(q.credits, 0))
              AS recomputed
       FROM ledger_accounts a
       LEFT JOIN posted p ON p.account_id = a.id
       LEFT JOIN pending q ON q.account_id = a.id
      WHERE ($1::text IS NULL OR a.portfolio_id = $1)
        AND (a.debits_posted <> coalesce(p.debits, 0) OR a.credits_posted <> coalesce(p.credits, 0)
             OR a.debits_pending <> coalesce(q.debits, 0) OR a.credits_pending <> coalesce(q.credits, 0))
      ORDER BY a.id`,
    [portfolioId],
  );
  const unbalanced = await runLedgerSql<{ entry_id: string }>(
    db,
    `SELECT e.id AS entry_id FROM ledger_entries e
      WHERE ($1::text IS NULL OR e.portfolio_id = $1)
        AND (e.posting_count <> (SELECT count(*) FROM ledger_postings p WHERE p.entry_id = e.id)
             OR EXISTS (SELECT 1 FROM ledger_postings p WHERE p.entry_id = e.id
                         GROUP BY p.book_id, p.currency HAVING sum(p.amount_minor) <> 0))
      ORDER BY e.id`,
    [portfolioId],
  );
  const queue = await runLedgerSql<{ hold_id: string }>(
    db,
    `SELECT h.id AS hold_id FROM ledger_holds h
       LEFT JOIN ledger_hold_resolutions r ON r.hold_id = h.id
       LEFT JOIN ledger_open_holds o ON o.hold_id = h.id
      WHERE ($1::text IS NULL OR h.portfolio_id = $1) AND ((r.hold_id IS NULL) <> (o.hold_id IS NOT NULL))
     UNION ALL
     SELECT o.hold_id FROM ledger_open_holds o WHERE NOT EXISTS (SELECT 1 FROM ledger_holds h WHERE h.id = o.hold_id)`,
    [portfolioId],
  );
  const belowFloor = await runLedgerSql<{ id: string }>(
    db,
    `SELECT id FROM ledger_accounts
      WHERE ($1::text IS NULL OR portfolio_id = $1)
        AND ((debits_must_not_exceed_credits AND credits_posted - debits_posted - debits_pending < floor_minor)
          OR (credits_must_not_exceed_debits AND debits_posted - credits_posted - credits_pending < floor_minor))`,
    [portfolioId],
  );
  const result = {
    accountMismatches: accountMismatches.map((r) => ({
      accountId: r.account_id,
      stored: r.stored,
      recomputed: r.recomputed,
    })),
    unbalancedEntries: unbalanced.map((r) => r.entry_id),
    queueMismatches: queue.map((r) => r.hold_id),
    belowFloor: belowFloor.map((r) => r.id),
  };
  return {
    ok:
      result.accountMismatches.length === 0 &&
      result.unbalancedEntries.length === 0 &&
      result.queueMismatches.length === 0 &&
      result.belowFloor.length === 0,
    ...result,
  };
}

// Reading reconciliation runs: a portfolio's latest, or one by id.
import type { Db, Tx } from "@/server/shared/db";
import type { RailName } from "./rail";

export type ReconciliationMismatchView = {
  kind: "missing_on_rail" | "missing_in_ledger" | "amount_differs";
  railReference: string;
  ventureId: string | null;
  currency: string;
  ledgerAmountMinor: string | null;
  railAmountMinor: string | null;
  detail: string;
};

export type ReconciliationView = {
  id: string;
  portfolioId: string;
  rail: RailName;
  from: Date;
  to: Date;
  status: "balanced" | "breaks" | "failed";
  matched: number;
  inTransit: number;
  mismatchCount: number;
  mismatches: ReconciliationMismatchView[];
  findingIds: string[];
  frozen: string[];
  error: string | null;
  trigger: "schedule" | "request";
  requestedBy: string;
  startedAt: Date;
  finishedAt: Date;
};

type Row = {
  id: string;
  portfolio_id: string;
  rail: RailName;
  period_from: Date;
  period_to: Date;
  status: ReconciliationView["status"];
  matched: number;
  in_transit: number;
  mismatch_count: number;
  mismatches: ReconciliationMismatchView[];
  finding_ids: string[];
  frozen: string[];
  error: string | null;
  trigger: ReconciliationView["trigger"];
  requested_by: string;
  started_at: Date;
  finished_at: Date;
};

const columns =
  "id, portfolio_id, rail, period_from, period_to, status, matched, in_transit, mismatch_count, mismatches, finding_ids, frozen, error, trigger, requested_by, started_at, finished_at";

function toView(row: Row): ReconciliationView {
  return {
    id: row.id,
    portfolioId: row.portfolio_id,
    rail: row.rail,
    from: row.period_from,
    to: row.period_to,
    status: row.status,
    matched: row.matched,
    inTransit: row.in_transit,
    mismatchCount: row.mismatch_count,
    mismatches: row.mismatches,
    findingIds: row.finding_ids,
    frozen: row.frozen,
    error: row.error,
    trigger: row.trigger,
    requestedBy: row.requested_by,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

export async function getReconciliation(options: {
  db: Db | Tx;
  portfolioId: string;
  runId: string;
}): Promise<ReconciliationView | null> {
  const [row] = await options.db.$queryRawUnsafe<Row[]>(
    `SELECT ${columns} FROM treasury_reconciliations WHERE id = $1 AND portfolio_id = $2`,
    options.runId,
    options.portfolioId,
  );
  return row ? toView(row) : null;
}

export async function listReconciliations(options: {
  db: Db | Tx;
  portfolioId: string;
  limit?: number;
}): Promise<ReconciliationView[]> {
  const rows = await options.db.$queryRawUnsafe<Row[]>(
    `SELECT ${columns} FROM treasury_reconciliations WHERE portfolio_id = $1 ORDER BY started_at DESC LIMIT $2`,
    options.portfolioId,
    Math.min(Math.max(options.limit ?? 50, 1), 200),
  );
  return rows.map(toView);
}

// Reading budget transfers: the money intent with what only a transfer has (its two ventures, their
// names, the reason and the ledger entry that settled it). A transfer's status is its intent's,
// except that an approved one whose budget has moved reads "settled".
import type { Db, Tx } from "@/server/shared/db";
import { getIntent, type MoneyIntentView } from "../intents/intent-view";

export type TransferStatus =
  | "pending_approval"
  | "approved"
  | "denied"
  | "expired"
  | "settled"
  | (string & {});

export type TransferSummary = {
  intentId: string;
  portfolioId: string;
  fromVentureId: string;
  fromVentureName: string;
  toVentureId: string;
  toVentureName: string;
  amountMinor: bigint;
  currency: string;
  reason: string;
  status: TransferStatus;
  requestedBy: string;
  approvalsRequired: number;
  createdAt: Date;
  entryId: string | null;
  settledAt: Date | null;
};

export type TransferView = TransferSummary & { intent: MoneyIntentView };

type Row = {
  intent_id: string;
  portfolio_id: string;
  from_venture_id: string;
  from_name: string;
  to_venture_id: string;
  to_name: string;
  amount_minor: bigint;
  currency: string;
  reason: string;
  requested_by: string;
  approvals_required: number;
  created_at: Date;
  entry_id: string | null;
  settled_at: Date | null;
  intent_status: string;
};

const transferSelect = `SELECT t.intent_id, t.portfolio_id, t.from_venture_id, f.name AS from_name, t.to_venture_id,
         o.name AS to_name, t.amount_minor, t.currency::text AS currency, t.reason, t.requested_by,
         i.approvals_required, t.created_at, t.entry_id, t.settled_at, i.status AS intent_status
    FROM treasury_budget_transfers t
    JOIN money_intents i ON i.id = t.intent_id
    JOIN ventures f ON f.id = t.from_venture_id
    JOIN ventures o ON o.id = t.to_venture_id`;

function toSummary(row: Row): TransferSummary {
  return {
    intentId: row.intent_id,
    portfolioId: row.portfolio_id,
    fromVentureId: row.from_venture_id,
    fromVentureName: row.from_name,
    toVentureId: row.to_venture_id,
    toVentureName: row.to_name,
    amountMinor: row.amount_minor,
    currency: row.currency,
    reason: row.reason,
    status: row.settled_at ? "settled" : row.intent_status,
    requestedBy: row.requested_by,
    approvalsRequired: row.approvals_required,
    createdAt: row.created_at,
    entryId: row.entry_id,
    settledAt: row.settled_at,
  };
}

export async function getTransfer(options: {
  db: Db | Tx;
  portfolioId: string;
  intentId: string;
}): Promise<TransferView | null> {
  const [row] = await options.db.$queryRawUnsafe<Row[]>(
    `${transferSelect} WHERE t.intent_id = $1 AND t.portfolio_id = $2`,
    options.intentId,
    options.portfolioId,
  );
  if (!row) return null;
  const intent = await getIntent(options);
  if (!intent) return null;
  return { ...toSummary(row), intent };
}

/** A portfolio's transfers (or those touching one venture, from or to it), newest first. */
export async function listTransfers(options: {
  db: Db | Tx;
  portfolioId: string;
  ventureId?: string | null;
  limit?: number;
}): Promise<TransferSummary[]> {
  const rows = await options.db.$queryRawUnsafe<Row[]>(
    `${transferSelect}
      WHERE t.portfolio_id = $1 AND ($2::text IS NULL OR t.from_venture_id = $2 OR t.to_venture_id = $2)
      ORDER BY t.created_at DESC, t.intent_id DESC LIMIT $3`,
    options.portfolioId,
    options.ventureId ?? null,
    Math.min(Math.max(options.limit ?? 50, 1), 500),
  );
  return rows.map(toSummary);
}

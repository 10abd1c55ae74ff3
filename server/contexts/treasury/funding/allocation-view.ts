// Reading budget allocations: the money intent with what only an allocation has (its reason and its
// settlement). An allocation's status is its intent's, except that an approved one whose money has
// moved reads "settled".
import type { Db, Tx } from "@/server/shared/db";
import { getIntent, type MoneyIntentView } from "../intents/intent-view";

export type AllocationStatus = "pending_approval" | "approved" | "denied" | "settled" | (string & {});

export type AllocationView = {
  intent: MoneyIntentView;
  reason: string;
  status: AllocationStatus;
  ventureEntryId: string | null;
  settledAt: Date | null;
};

export type AllocationSummary = {
  intentId: string;
  ventureId: string;
  amountMinor: bigint;
  currency: string;
  reason: string;
  status: AllocationStatus;
  requestedBy: string;
  createdAt: Date;
  settledAt: Date | null;
};

type AllocationRow = {
  intent_id: string;
  venture_id: string;
  amount_minor: bigint;
  currency: string;
  reason: string;
  requested_by: string;
  created_at: Date;
  venture_entry_id: string | null;
  settled_at: Date | null;
  intent_status: string;
};

export function allocationStatus(intentStatus: string, settledAt: Date | null): AllocationStatus {
  return settledAt ? "settled" : intentStatus;
}

const allocationSelect = `SELECT a.intent_id, a.venture_id, a.amount_minor, a.currency::text AS currency, a.reason,
         a.requested_by, a.created_at, a.venture_entry_id, a.settled_at, i.status AS intent_status
    FROM treasury_allocations a JOIN money_intents i ON i.id = a.intent_id`;

export async function getAllocation(options: {
  db: Db | Tx;
  portfolioId: string;
  intentId: string;
}): Promise<AllocationView | null> {
  const [row] = await options.db.$queryRawUnsafe<AllocationRow[]>(
    `${allocationSelect} WHERE a.intent_id = $1 AND a.portfolio_id = $2`,
    options.intentId,
    options.portfolioId,
  );
  if (!row) return null;
  const intent = await getIntent(options);
  if (!intent) return null;
  return {
    intent,
    reason: row.reason,
    status: allocationStatus(intent.status, row.settled_at),
    ventureEntryId: row.venture_entry_id,
    settledAt: row.settled_at,
  };
}

/** A portfolio's (or one venture's) allocations, newest first. */
export async function listAllocations(options: {
  db: Db;
  portfolioId: string;
  ventureId?: string | null;
  limit?: number;
}): Promise<AllocationSummary[]> {
  const rows = await options.db.$queryRawUnsafe<AllocationRow[]>(
    `${allocationSelect}
      WHERE a.portfolio_id = $1 AND ($2::text IS NULL OR a.venture_id = $2)
      ORDER BY a.created_at DESC, a.intent_id DESC LIMIT $3`,
    options.portfolioId,
    options.ventureId ?? null,
    Math.min(Math.max(options.limit ?? 50, 1), 500),
  );
  return rows.map((row) => ({
    intentId: row.intent_id,
    ventureId: row.venture_id,
    amountMinor: row.amount_minor,
    currency: row.currency,
    reason: row.reason,
    status: allocationStatus(row.intent_status, row.settled_at),
    requestedBy: row.requested_by,
    createdAt: row.created_at,
    settledAt: row.settled_at,
  }));
}

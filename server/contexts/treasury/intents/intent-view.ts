// Reading money intents: one, or a portfolio's list filtered by status (the approval inbox).
import type { Db, Tx } from "@/server/shared/db";
import type { PolicyDecisionRecord } from "@/server/shared/events/catalog/policy";
import type { moneyIntentLifecycleStatuses, RailName } from "@/server/shared/events/catalog/treasury-rails";

export type MoneyIntentStatus = (typeof moneyIntentLifecycleStatuses)[number];

/** Paying an approved intent through a rail (ADR 0011); null until a rail was asked. */
export type IntentSettlementView = {
  rail: RailName;
  /** submitting (not yet accepted by the rail) | submitted | settled | failed */
  status: string;
  railReference: string | null;
  railStatus: string | null;
  failureReason: string | null;
  attempts: number;
  submittedAt: Date | null;
  settledAt: Date | null;
};

export type MoneyIntentView = {
  id: string;
  portfolioId: string;
  ventureId: string;
  amountMinor: bigint;
  currency: string;
  counterparty: string;
  category: string;
  purpose: string;
  idempotencyKey: string;
  requestedBy: string;
  status: MoneyIntentStatus;
  approvalsRequired: number;
  approvals: Array<{ approverId: string; note: string; createdAt: Date }>;
  reasons: string[];
  decision: PolicyDecisionRecord;
  holdId: string | null;
  expiresAt: Date;
  decidedAt: Date | null;
  decidedBy: string | null;
  decisionNote: string | null;
  createdAt: Date;
  settlement: IntentSettlementView | null;
};

type Row = Omit<MoneyIntentView, "status" | "decision" | "approvals" | "settlement"> & {
  status: string;
  decision: unknown;
  version: number;
  requestHash: string;
};

function toView(
  row: Row,
  approvals: MoneyIntentView["approvals"],
  settlement: IntentSettlementView | null,
): MoneyIntentView {
  const { version: _version, requestHash: _hash, ...rest } = row;
  return {
    ...rest,
    status: row.status as MoneyIntentStatus,
    decision: row.decision as PolicyDecisionRecord,
    approvals,
    settlement,
  };
}

async function settlementsOf(db: Db | Tx, intentIds: string[]): Promise<Map<string, IntentSettlementView>> {
  if (intentIds.length === 0) return new Map();
  const rows = await db.$queryRawUnsafe<
    Array<{
      intent_id: string;
      rail: RailName;
      status: string;
      rail_reference: string | null;
      rail_status: string | null;
      failure_reason: string | null;
      attempts: number;
      submitted_at: Date | null;
      settled_at: Date | null;
    }>
  >(
    `SELECT intent_id, rail, status, rail_reference, rail_status, failure_reason, attempts, submitted_at, settled_at
       FROM treasury_payouts WHERE intent_id = ANY($1::text[])`,
    intentIds,
  );
  return new Map(
    rows.map((r) => [
      r.intent_id,
      {
        rail: r.rail,
        status: r.status,
        railReference: r.rail_reference,
        railStatus: r.rail_status,
        failureReason: r.failure_reason,
        attempts: r.attempts,
        submittedAt: r.submitted_at,
        settledAt: r.settled_at,
      },
    ]),
  );
}

export async function getIntent(options: {
  db: Db | Tx;
  portfolioId: string;
  intentId: string;
}): Promise<MoneyIntentView | null> {
  const row = await options.db.moneyIntent.findUnique({ where: { id: options.intentId } });
  if (!row || row.portfolioId !== options.portfolioId) return null;
  const approvals = await options.db.moneyIntentApproval.findMany({
    where: { intentId: row.id },
    orderBy: { createdAt: "asc" },
    select: { approverId: true, note: true, createdAt: true },
  });
  const settlements = await settlementsOf(options.db, [row.id]);
  return toView(row, approvals, settlements.get(row.id) ?? null);
}

export async function listIntents(options: {
  db: Db | Tx;
  portfolioId: string;
  status?: MoneyIntentStatus;
  ventureId?: string;
  limit?: number;
}): Promise<MoneyIntentView[]> {
  const rows = await options.db.moneyIntent.findMany({
    where: {
      portfolioId: options.portfolioId,
      ...(options.status ? { status: options.status } : {}),
      ...(options.ventureId ? { ventureId: options.ventureId } : {}),
    },
    orderBy: { createdAt: "desc" },
    take: options.limit ?? 200,
  });
  const approvals = await options.db.moneyIntentApproval.findMany({
    where: { intentId: { in: rows.map((r) => r.id) } },
    orderBy: { createdAt: "asc" },
  });
  const settlements = await settlementsOf(
    options.db,
    rows.map((r) => r.id),
  );
  return rows.map((row) =>
    toView(
      row,
      approvals
        .filter((a) => a.intentId === row.id)
        .map((a) => ({ approverId: a.approverId, note: a.note, createdAt: a.createdAt })),
      settlements.get(row.id) ?? null,
    ),
  );
}

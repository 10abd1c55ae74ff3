// Reading money intents: one, or a portfolio's list filtered by status (the approval inbox).
import type { Db, Tx } from "@/server/shared/db";
import type { PolicyDecisionRecord } from "@/server/shared/events/catalog/policy";
import type { moneyIntentStatuses } from "@/server/shared/events/catalog/treasury-intents";

export type MoneyIntentStatus = (typeof moneyIntentStatuses)[number];

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
};

type Row = Omit<MoneyIntentView, "status" | "decision" | "approvals"> & {
  status: string;
  decision: unknown;
  version: number;
  requestHash: string;
};

function toView(row: Row, approvals: MoneyIntentView["approvals"]): MoneyIntentView {
  const { version: _version, requestHash: _hash, ...rest } = row;
  return {
    ...rest,
    status: row.status as MoneyIntentStatus,
    decision: row.decision as PolicyDecisionRecord,
    approvals,
  };
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
  return toView(row, approvals);
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
  return rows.map((row) =>
    toView(
      row,
      approvals
        .filter((a) => a.intentId === row.id)
        .map((a) => ({ approverId: a.approverId, note: a.note, createdAt: a.createdAt })),
    ),
  );
}

// Findings (COMPL-006, minimal): something a person must look at, with severity, owner and
// status. Raising one appends compliance.finding_raised in the same transaction. An open finding
// of the same kind and title is not raised twice, so a scheduled check that keeps failing
// yields one finding, not one per run.
import type { Db, Tx } from "@/server/shared/db";
import type { FindingSeverity } from "@/server/shared/events/catalog/compliance";
import type { CommandContext } from "@/server/shared/events/store";
import { appendEvents } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";

export type FindingStatus = "open" | "acknowledged" | "resolved";

export type FindingView = {
  id: string;
  portfolioId: string | null;
  severity: FindingSeverity;
  kind: string;
  title: string;
  detail: string;
  status: FindingStatus;
  owner: string | null;
  createdAt: Date;
};

export async function raiseFinding(
  tx: Tx,
  ctx: CommandContext,
  finding: {
    severity: FindingSeverity;
    kind: string;
    title: string;
    detail: string;
    owner?: string | null;
    /** null for deployment-wide findings, shown in every portfolio. */
    portfolioId: string | null;
  },
): Promise<{ findingId: string; raised: boolean }> {
  const [open] = await tx.$queryRawUnsafe<Array<{ id: string }>>(
    `SELECT id FROM findings WHERE kind = $1 AND title = $2 AND status <> 'resolved'
       AND portfolio_id IS NOT DISTINCT FROM $3 LIMIT 1`,
    finding.kind,
    finding.title,
    finding.portfolioId,
  );
  if (open) return { findingId: open.id, raised: false };
  const findingId = newId("finding");
  const [event] = await appendEvents(tx, ctx, [
    {
      type: "compliance.finding_raised",
      stream: { type: "finding", id: findingId },
      expectedVersion: 0,
      portfolioId: finding.portfolioId,
      payload: {
        findingId,
        severity: finding.severity,
        kind: finding.kind,
        title: finding.title,
        detail: finding.detail,
        owner: finding.owner ?? null,
        portfolioId: finding.portfolioId,
      },
    },
  ]);
  await tx.$executeRawUnsafe(
    `INSERT INTO findings (id, portfolio_id, severity, kind, title, detail, status, owner, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8)`,
    findingId,
    finding.portfolioId,
    finding.severity,
    finding.kind,
    finding.title,
    finding.detail,
    finding.owner ?? null,
    new Date(event!.occurredAt),
  );
  return { findingId, raised: true };
}

/** A portfolio's findings and the deployment-wide ones, open first, newest first. */
export async function listFindings(options: {
  db: Db;
  portfolioId: string;
  status?: FindingStatus;
  limit?: number;
}): Promise<FindingView[]> {
  const rows = await options.db.$queryRawUnsafe<
    Array<{
      id: string;
      portfolio_id: string | null;
      severity: FindingSeverity;
      kind: string;
      title: string;
      detail: string;
      status: FindingStatus;
      owner: string | null;
      created_at: Date;
    }>
  >(
    `SELECT id, portfolio_id, severity, kind, title, detail, status, owner, created_at FROM findings
      WHERE (portfolio_id = $1 OR portfolio_id IS NULL) AND ($2::text IS NULL OR status = $2)
      ORDER BY (status = 'open') DESC, created_at DESC LIMIT $3`,
    options.portfolioId,
    options.status ?? null,
    Math.min(options.limit ?? 100, 500),
  );
  return rows.map((row) => ({
    id: row.id,
    portfolioId: row.portfolio_id,
    severity: row.severity,
    kind: row.kind,
    title: row.title,
    detail: row.detail,
    status: row.status,
    owner: row.owner,
    createdAt: row.created_at,
  }));
}

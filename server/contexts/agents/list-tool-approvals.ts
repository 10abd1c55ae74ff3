import { systemClock } from "@/server/shared/clock";
import type { Db } from "@/server/shared/db";
import { approvalSelect, type ToolApprovalView } from "./decide-tool-approval";

/** Tool calls waiting for a person in a portfolio (newest first), or all of one venture's. */
export async function listToolApprovals(options: {
  db: Db;
  portfolioId: string;
  ventureId?: string;
  pendingOnly?: boolean;
  limit?: number;
}): Promise<ToolApprovalView[]> {
  const now = systemClock.now();
  const rows = await options.db.$queryRawUnsafe<Array<Omit<ToolApprovalView, "expired">>>(
    `SELECT ${approvalSelect} FROM agent_tool_approvals
      WHERE portfolio_id = $1 AND ($2::text IS NULL OR venture_id = $2)
        AND (NOT $3 OR (status = 'pending' AND expires_at > $4))
      ORDER BY created_at DESC LIMIT $5`,
    options.portfolioId,
    options.ventureId ?? null,
    options.pendingOnly ?? true,
    now,
    Math.min(options.limit ?? 100, 500),
  );
  return rows.map((row) => ({ ...row, expired: row.expiresAt.getTime() <= now.getTime() }));
}

import { type Clock, systemClock } from "@/server/shared/clock";
import { type Db, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";

export type ToolApprovalView = {
  id: string;
  ventureId: string;
  taskId: string;
  tool: string;
  argsHash: string;
  args: Record<string, unknown>;
  status: "pending" | "approved" | "denied";
  expired: boolean;
  expiresAt: Date;
  decidedBy: string | null;
  decidedAt: Date | null;
  note: string | null;
  createdAt: Date;
};

export const approvalSelect = `id, venture_id AS "ventureId", task_id AS "taskId", tool, args_hash AS "argsHash", args, status,
  expires_at AS "expiresAt", decided_by AS "decidedBy", decided_at AS "decidedAt", note, created_at AS "createdAt"`;

/**
 * A person approves or denies one exact tool call (AGENT-002): the approval is bound to the hash of
 * the arguments the agent asked with, so it authorises that call and nothing else. Deciding the
 * same way again changes nothing; changing a decision is a CONFLICT; an expired request cannot be
 * decided (the agent must ask again).
 */
export async function decideToolApproval(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  clock?: Clock;
  ventureId: string;
  approvalId: string;
  decision: "approved" | "denied";
  note?: string | null;
}): Promise<ToolApprovalView & { changed: boolean }> {
  const now = (options.clock ?? systemClock).now();
  const note = options.note?.trim() || null;
  if (note && note.length > 500) {
    throw new AppError("BAD_REQUEST", "note must be at most 500 characters", {
      fields: { note: "at most 500 characters" },
    });
  }
  return withTransaction(options.db, async (tx) => {
    const [row] = await tx.$queryRawUnsafe<
      Array<Omit<ToolApprovalView, "expired"> & { portfolioId: string; version: number }>
    >(
      `SELECT ${approvalSelect}, portfolio_id AS "portfolioId", version FROM agent_tool_approvals WHERE id = $1 FOR UPDATE`,
      options.approvalId,
    );
    if (!row || row.ventureId !== options.ventureId) {
      throw new AppError(
        "NOT_FOUND",
        `Approval ${options.approvalId} not found in venture ${options.ventureId}`,
        {
          fields: { approvalId: "unknown approval" },
        },
      );
    }
    const expired = row.expiresAt.getTime() <= now.getTime();
    if (row.status === options.decision) return { ...row, expired, changed: false };
    if (row.status !== "pending") {
      throw new AppError("CONFLICT", `Approval ${row.id} was already ${row.status}`, {
        reason: "approval_decided",
      });
    }
    if (expired) {
      throw new AppError("UNPROCESSABLE", `Approval ${row.id} expired at ${row.expiresAt.toISOString()}`, {
        reason: "approval_expired",
      });
    }
    await appendEvents(
      tx,
      { actor: options.actor, correlationId: options.correlationId, clock: options.clock },
      [
        {
          type: "agents.tool_approval_decided",
          stream: { type: "tool_approval", id: row.id },
          expectedVersion: row.version,
          portfolioId: row.portfolioId,
          payload: {
            approvalId: row.id,
            ventureId: row.ventureId,
            taskId: row.taskId,
            decision: options.decision,
            decidedBy: options.actor.id,
            note,
          },
        },
      ],
    );
    await tx.$executeRawUnsafe(
      `UPDATE agent_tool_approvals SET status = $2, decided_by = $3, decided_at = $4, note = $5, version = version + 1
        WHERE id = $1`,
      row.id,
      options.decision,
      options.actor.id,
      now,
      note,
    );
    return {
      ...row,
      status: options.decision,
      decidedBy: options.actor.id,
      decidedAt: now,
      note,
      expired: false,
      changed: true,
    };
  });
}

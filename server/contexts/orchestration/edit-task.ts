import { agentRoles, isRoleName } from "@/server/contexts/agents/api";
import { AppError } from "@/server/shared/errors";
import type { EventPayload } from "@/server/shared/events/catalog";
import { appendEvents } from "@/server/shared/events/store";
import { runTaskCommand, type TaskCommandOptions } from "./task-command";
import { assertEditable } from "./task-rules";
import { saveTask, type TaskChanges, taskStream } from "./task-store";

export type TaskEdit = {
  title?: string;
  role?: string;
  inputs?: Record<string, unknown>;
  estimatedCostMinor?: bigint;
  priority?: number;
  retry?: { maxAttempts?: number; backoffMs?: number; backoffMaxMs?: number; timeoutMs?: number };
};

/**
 * The founder changes a task that no run holds and that has not finished: typically an escalated
 * task before retrying it (ORCH-004). The status does not change. Bad input names the field and
 * writes nothing; an edit that changes nothing appends nothing.
 */
export async function editTask(
  options: TaskCommandOptions & { changes: TaskEdit },
): Promise<{ changed: boolean }> {
  const { changes } = options;
  const fields: Record<string, string> = {};
  if (changes.title !== undefined && (changes.title.trim().length === 0 || changes.title.length > 200)) {
    fields.title = "1 to 200 characters";
  }
  if (changes.estimatedCostMinor !== undefined && changes.estimatedCostMinor < 0n) {
    fields.estimatedCostMinor = "must not be negative";
  }
  if (changes.inputs !== undefined && JSON.stringify(changes.inputs).length > 64 * 1024) {
    fields.inputs = "at most 64 KiB of JSON";
  }
  if (Object.keys(fields).length > 0) {
    throw new AppError(
      "BAD_REQUEST",
      `Invalid edit: ${Object.entries(fields)
        .map(([f, m]) => `${f} ${m}`)
        .join("; ")}`,
      {
        fields,
      },
    );
  }
  return runTaskCommand(options, async (tx, task, ctx, now) => {
    assertEditable(task.id, task.status);
    if (changes.role !== undefined) {
      const role = isRoleName(changes.role) ? agentRoles[changes.role] : null;
      if (!role)
        throw new AppError("BAD_REQUEST", `Unknown role ${changes.role}`, {
          fields: { role: "unknown role" },
        });
      if (role.level !== task.level) {
        throw new AppError(
          "BAD_REQUEST",
          `Role ${changes.role} works at ${role.level}; this task is ${task.level}`,
          {
            fields: { role: `a role of level ${task.level}` },
          },
        );
      }
    }
    const retry = {
      maxAttempts: changes.retry?.maxAttempts ?? task.maxAttempts,
      backoffMs: changes.retry?.backoffMs ?? task.backoffMs,
      backoffMaxMs: changes.retry?.backoffMaxMs ?? task.backoffMaxMs,
      timeoutMs: changes.retry?.timeoutMs ?? task.timeoutMs,
    };
    if (retry.backoffMaxMs < retry.backoffMs) {
      throw new AppError("BAD_REQUEST", "retry.backoffMaxMs must be at least retry.backoffMs", {
        fields: { "retry.backoffMaxMs": "at least backoffMs" },
      });
    }
    const payload: EventPayload<"orchestration.task_edited"> = {
      taskId: task.id,
      ventureId: task.ventureId,
      workstreamId: task.workstreamId,
    };
    const update: TaskChanges = {};
    if (changes.title !== undefined && changes.title.trim() !== task.title) {
      payload.title = changes.title.trim();
      update.title = payload.title;
    }
    if (changes.role !== undefined && changes.role !== task.role) {
      payload.role = changes.role;
      update.role = changes.role;
    }
    if (changes.inputs !== undefined && JSON.stringify(changes.inputs) !== JSON.stringify(task.inputs)) {
      payload.inputs = changes.inputs;
      update.inputs = changes.inputs;
    }
    if (changes.estimatedCostMinor !== undefined && changes.estimatedCostMinor !== task.estimatedCostMinor) {
      payload.estimatedCostMinor = changes.estimatedCostMinor.toString();
      update.estimatedCostMinor = changes.estimatedCostMinor;
    }
    if (changes.priority !== undefined && changes.priority !== task.priority) {
      payload.priority = changes.priority;
      update.priority = changes.priority;
    }
    if (
      changes.retry !== undefined &&
      (retry.maxAttempts !== task.maxAttempts ||
        retry.backoffMs !== task.backoffMs ||
        retry.backoffMaxMs !== task.backoffMaxMs ||
        retry.timeoutMs !== task.timeoutMs)
    ) {
      payload.retry = { ...retry, deadlineAt: task.deadlineAt?.toISOString() ?? null };
      Object.assign(update, retry);
    }
    if (Object.keys(update).length === 0) return { changed: false };
    await appendEvents(tx, ctx, [
      {
        type: "orchestration.task_edited",
        stream: taskStream(task.id),
        expectedVersion: task.version,
        portfolioId: task.portfolioId,
        payload,
      },
    ]);
    await saveTask(tx, task, task.version + 1, update, now);
    return { changed: true };
  });
}

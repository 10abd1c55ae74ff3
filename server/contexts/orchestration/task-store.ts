// Reading, locking and writing task rows: one column list, one parser and one update helper, so
// every command sees tasks the same way. Raw SQL because these run on the hot dispatch path
// (ADR 0002: raw queries are served by pg directly).
import type { Db, Tx } from "@/server/shared/db";
import { invariant } from "@/server/shared/errors";
import type { AgentLevelName } from "@/server/shared/events/catalog/orchestration";
import type { RetryPolicy, TaskStatus } from "./task-rules";

export type TaskRow = {
  id: string;
  portfolioId: string;
  ventureId: string;
  workstreamId: string;
  key: string;
  title: string;
  level: AgentLevelName;
  role: string;
  kind: "plan" | "replan" | "work";
  inputs: Record<string, unknown>;
  estimatedCostMinor: bigint;
  spendCeilingMinor: bigint;
  priority: number;
  status: TaskStatus;
  pausedFrom: TaskStatus | null;
  attempt: number;
  maxAttempts: number;
  backoffMs: number;
  backoffMaxMs: number;
  timeoutMs: number;
  deadlineAt: Date | null;
  nextAttemptAt: Date | null;
  runId: string | null;
  dispatchedAt: Date | null;
  startedAt: Date | null;
  leaseExpiresAt: Date | null;
  finishedAt: Date | null;
  remainingDeps: number;
  result: Record<string, unknown> | null;
  lastError: string | null;
  costMinor: bigint;
  inputTokens: number;
  outputTokens: number;
  version: number;
  createdAt: Date;
  updatedAt: Date;
};

/** Column ↔ field, in one place: reads and updates both use it. */
const columns = {
  id: "id",
  portfolioId: "portfolio_id",
  ventureId: "venture_id",
  workstreamId: "workstream_id",
  key: "key",
  title: "title",
  level: "level",
  role: "role",
  kind: "kind",
  inputs: "inputs",
  estimatedCostMinor: "estimated_cost_minor",
  spendCeilingMinor: "spend_ceiling_minor",
  priority: "priority",
  status: "status",
  pausedFrom: "paused_from",
  attempt: "attempt",
  maxAttempts: "max_attempts",
  backoffMs: "backoff_ms",
  backoffMaxMs: "backoff_max_ms",
  timeoutMs: "timeout_ms",
  deadlineAt: "deadline_at",
  nextAttemptAt: "next_attempt_at",
  runId: "run_id",
  dispatchedAt: "dispatched_at",
  startedAt: "started_at",
  leaseExpiresAt: "lease_expires_at",
  finishedAt: "finished_at",
  remainingDeps: "remaining_deps",
  result: "result",
  lastError: "last_error",
  costMinor: "cost_minor",
  inputTokens: "input_tokens",
  outputTokens: "output_tokens",
  version: "version",
  createdAt: "created_at",
  updatedAt: "updated_at",
} as const satisfies Record<keyof TaskRow, string>;

/** Casts for parameters whose type pg cannot infer from a text value. */
const casts: Partial<Record<keyof TaskRow, string>> = {
  inputs: "jsonb",
  result: "jsonb",
  estimatedCostMinor: "bigint",
  spendCeilingMinor: "bigint",
  costMinor: "bigint",
  deadlineAt: "timestamptz",
  nextAttemptAt: "timestamptz",
  dispatchedAt: "timestamptz",
  startedAt: "timestamptz",
  leaseExpiresAt: "timestamptz",
  finishedAt: "timestamptz",
  updatedAt: "timestamptz",
};

export const taskSelect = Object.entries(columns)
  .map(([field, column]) => (field === column ? column : `${column} AS "${field}"`))
  .join(", ");

export function taskSelectFrom(alias: string): string {
  return Object.entries(columns)
    .map(([field, column]) => `${alias}.${column} AS "${field}"`)
    .join(", ");
}

export function retryPolicyOf(task: TaskRow): RetryPolicy {
  return {
    maxAttempts: task.maxAttempts,
    backoffMs: task.backoffMs,
    backoffMaxMs: task.backoffMaxMs,
    timeoutMs: task.timeoutMs,
    deadlineAt: task.deadlineAt,
  };
}

export async function readTask(db: Db | Tx, taskId: string): Promise<TaskRow | null> {
  const rows = await db.$queryRawUnsafe<TaskRow[]>(`SELECT ${taskSelect} FROM tasks WHERE id = $1`, taskId);
  return rows[0] ?? null;
}

/** Reads and locks one task for the rest of the transaction. */
export async function lockTask(tx: Tx, taskId: string): Promise<TaskRow | null> {
  const rows = await tx.$queryRawUnsafe<TaskRow[]>(
    `SELECT ${taskSelect} FROM tasks WHERE id = $1 FOR UPDATE`,
    taskId,
  );
  return rows[0] ?? null;
}

/** Locks several tasks in id order (one order everywhere, so two commands cannot deadlock). */
export async function lockTasks(tx: Tx, where: string, ...params: unknown[]): Promise<TaskRow[]> {
  return tx.$queryRawUnsafe<TaskRow[]>(
    `SELECT ${taskSelect} FROM tasks WHERE ${where} ORDER BY id FOR UPDATE`,
    ...params,
  );
}

export type TaskChanges = Partial<
  Omit<TaskRow, "id" | "version" | "portfolioId" | "ventureId" | "workstreamId">
>;

function toParam(value: unknown, field: keyof TaskRow): unknown {
  if (value === null || value === undefined) return null;
  if (casts[field] === "jsonb") return JSON.stringify(value);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "bigint") return value.toString();
  return value;
}

/**
 * Writes the changes and moves the row to `version` (the task stream's version after the events
 * the command appended). Optimistic: the row must still be at `task.version`; the caller holds its
 * lock, so a mismatch is a bug.
 */
export async function saveTask(
  tx: Tx,
  task: TaskRow,
  version: number,
  changes: TaskChanges,
  now: Date,
): Promise<void> {
  const entries = Object.entries({ ...changes, updatedAt: now }) as Array<[keyof TaskRow, unknown]>;
  const sets = entries.map(([field], i) => {
    const cast = casts[field];
    return `${columns[field]} = $${i + 3}${cast ? `::${cast}` : ""}`;
  });
  const updated = await tx.$executeRawUnsafe(
    `UPDATE tasks SET ${sets.join(", ")}, version = $2 WHERE id = $1 AND version = ${task.version}`,
    task.id,
    version,
    ...entries.map(([field, value]) => toParam(value, field)),
  );
  invariant(updated === 1, `task ${task.id} is still at version ${task.version} when saved`);
  Object.assign(task, changes, { version, updatedAt: now });
}

export function taskStream(taskId: string) {
  return { type: "task", id: taskId } as const;
}

export function workstreamStream(workstreamId: string) {
  return { type: "workstream", id: workstreamId } as const;
}

export function ventureStream(ventureId: string) {
  return { type: "venture", id: ventureId } as const;
}

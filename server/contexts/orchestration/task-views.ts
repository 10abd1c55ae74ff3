// Read models of tasks as the founder sees them (CTRL-001): one shape for lists, the DAG and the
// detail page. Money leaves as bigint; the tRPC layer carries it (superjson) and the HTTP API
// writes it as a string of digits.
import type { TaskStatus } from "./task-rules";
import type { TaskRow } from "./task-store";

export type TaskView = {
  id: string;
  ventureId: string;
  workstreamId: string;
  key: string;
  title: string;
  level: string;
  role: string;
  kind: string;
  status: TaskStatus;
  pausedFrom: string | null;
  priority: number;
  inputs: Record<string, unknown>;
  estimatedCostMinor: bigint;
  spendCeilingMinor: bigint;
  costMinor: bigint;
  inputTokens: number;
  outputTokens: number;
  attempt: number;
  maxAttempts: number;
  backoffMs: number;
  timeoutMs: number;
  deadlineAt: Date | null;
  nextAttemptAt: Date | null;
  dispatchedAt: Date | null;
  startedAt: Date | null;
  finishedAt: Date | null;
  summary: string | null;
  output: Record<string, unknown> | null;
  lastError: string | null;
  dependsOn: string[];
  createdAt: Date;
  updatedAt: Date;
};

export function toTaskView(task: TaskRow, dependsOn: string[]): TaskView {
  const result = task.result as { summary?: unknown; output?: unknown } | null;
  return {
    id: task.id,
    ventureId: task.ventureId,
    workstreamId: task.workstreamId,
    key: task.key,
    title: task.title,
    level: task.level,
    role: task.role,
    kind: task.kind,
    status: task.status,
    pausedFrom: task.pausedFrom,
    priority: task.priority,
    inputs: task.inputs,
    estimatedCostMinor: task.estimatedCostMinor,
    spendCeilingMinor: task.spendCeilingMinor,
    costMinor: task.costMinor,
    inputTokens: task.inputTokens,
    outputTokens: task.outputTokens,
    attempt: task.attempt,
    maxAttempts: task.maxAttempts,
    backoffMs: task.backoffMs,
    timeoutMs: task.timeoutMs,
    deadlineAt: task.deadlineAt,
    nextAttemptAt: task.nextAttemptAt,
    dispatchedAt: task.dispatchedAt,
    startedAt: task.startedAt,
    finishedAt: task.finishedAt,
    summary: typeof result?.summary === "string" ? result.summary : null,
    output:
      result?.output && typeof result.output === "object" ? (result.output as Record<string, unknown>) : null,
    lastError: task.lastError,
    dependsOn,
    createdAt: task.createdAt,
    updatedAt: task.updatedAt,
  };
}

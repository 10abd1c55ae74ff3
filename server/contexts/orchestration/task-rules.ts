// Task rules, pure: the state machine of one task, its retry policy (ORCH-004) and pause, resume
// and cancel (ORCH-006). Time comes in as an argument.
//
//   pending ──deps succeeded──▶ ready ──dispatch──▶ dispatched ──start──▶ running ──▶ succeeded
//      ▲                          │ ▲                    │                   │
//      │                  budget  ▼ │ budget             │ lost / failed     │ failed, attempts left
//      │                    waiting_budget               ▼                   ▼
//      │                                           retry_wait ◀──────────────┘ (backoff)
//      │                                                 │ no attempts left / deadline passed
//      │                                                 ▼
//      └───── resume ◀── paused            escalated ──founder retry──▶ ready
//   any non-terminal ──cancel──▶ cancelled
import { AppError } from "@/server/shared/errors";

export const taskStatuses = [
  "pending",
  "ready",
  "waiting_budget",
  "dispatched",
  "running",
  "retry_wait",
  "succeeded",
  "escalated",
  "paused",
  "cancelled",
] as const;
export type TaskStatus = (typeof taskStatuses)[number];

export const terminalStatuses: ReadonlySet<TaskStatus> = new Set(["succeeded", "cancelled"]);
/** A run exists for the task: a pause or cancel must stop it. */
export const activeRunStatuses: ReadonlySet<TaskStatus> = new Set(["dispatched", "running"]);

export type RetryPolicy = {
  maxAttempts: number;
  backoffMs: number;
  backoffMaxMs: number;
  timeoutMs: number;
  deadlineAt: Date | null;
};

export const defaultRetryPolicy: Omit<RetryPolicy, "deadlineAt"> = {
  maxAttempts: 3,
  backoffMs: 1_000,
  backoffMaxMs: 60_000,
  timeoutMs: 300_000,
};

/** Delay before the attempt after `failedAttempt` (1-based): backoffMs · 2^(n-1), at most backoffMaxMs. */
export function backoffDelayMs(
  policy: Pick<RetryPolicy, "backoffMs" | "backoffMaxMs">,
  failedAttempt: number,
): number {
  const exponent = Math.min(Math.max(failedAttempt - 1, 0), 30);
  return Math.min(policy.backoffMs * 2 ** exponent, Math.max(policy.backoffMaxMs, policy.backoffMs));
}

export type FailureDecision = { kind: "retry"; nextAttemptAt: Date } | { kind: "escalate"; reason: string };

/**
 * After attempt `attempt` failed: another attempt after the backoff if the policy has attempts left,
 * the error is retryable and the retry would start before the deadline; otherwise escalate.
 */
export function decideAttemptFailure(
  policy: RetryPolicy,
  attempt: number,
  retryable: boolean,
  now: Date,
): FailureDecision {
  if (!retryable) return { kind: "escalate", reason: "the failure cannot be fixed by retrying" };
  if (attempt >= policy.maxAttempts) {
    return { kind: "escalate", reason: `all ${policy.maxAttempts} attempts failed` };
  }
  const nextAttemptAt = new Date(now.getTime() + backoffDelayMs(policy, attempt));
  if (policy.deadlineAt && nextAttemptAt.getTime() >= policy.deadlineAt.getTime()) {
    return {
      kind: "escalate",
      reason: `the next attempt would start after the deadline ${policy.deadlineAt.toISOString()}`,
    };
  }
  return { kind: "retry", nextAttemptAt };
}

function refuse(taskId: string, action: string, status: TaskStatus): never {
  throw new AppError("UNPROCESSABLE", `Task ${taskId} is ${status} and cannot be ${action}`, {
    reason: "task_state",
    status,
  });
}

/** Pausing: null when already paused (nothing to do); refused once the task has finished. */
export function decidePause(taskId: string, status: TaskStatus): { from: TaskStatus } | null {
  if (status === "paused") return null;
  if (terminalStatuses.has(status)) refuse(taskId, "paused", status);
  return { from: status };
}

/**
 * Where a paused task goes on resume: a task that was dispatched or running starts over (its run
 * was stopped), waiting states are re-evaluated by the scheduler from ready or pending.
 */
export function resumeTarget(pausedFrom: TaskStatus | null, remainingDeps: number): TaskStatus {
  switch (pausedFrom) {
    case "escalated":
      return "escalated";
    case "retry_wait":
      return "retry_wait";
    default:
      return remainingDeps > 0 ? "pending" : "ready";
  }
}

/** Cancelling: null when already cancelled; refused for a task that succeeded. */
export function decideCancel(taskId: string, status: TaskStatus): { from: TaskStatus } | null {
  if (status === "cancelled") return null;
  if (status === "succeeded") refuse(taskId, "cancelled", status);
  return { from: status };
}

/**
 * The founder's retry of an escalated task: more attempts, back to ready (or pending). A task that
 * is already on its way again (queued, waiting, running) needs nothing: null. Finished tasks refuse.
 */
export function decideFounderRetry(
  taskId: string,
  status: TaskStatus,
  remainingDeps: number,
): { to: TaskStatus } | null {
  if (status === "escalated") return { to: remainingDeps > 0 ? "pending" : "ready" };
  if (terminalStatuses.has(status)) refuse(taskId, "retried", status);
  return null;
}

/** Editing is allowed while no run holds the task and it has not finished. */
export function assertEditable(taskId: string, status: TaskStatus): void {
  if (terminalStatuses.has(status) || activeRunStatuses.has(status)) refuse(taskId, "edited", status);
}

// Orchestration events: portfolios, ventures, workstreams and tasks (ORCH-001…006).
// Money travels as strings of digits (minor units): JSON has no exact integers beyond 2^53.
import { z } from "zod";

const minor = z
  .string()
  .regex(/^\d+$/, "a non-negative integer amount in minor units, as a string of digits");
const isoTime = z.iso.datetime({ offset: true });

export const ventureStages = ["idea", "validating", "building", "launched", "scaling", "sunset"] as const;
export const agentLevels = ["L1", "L2", "L3"] as const;
export type AgentLevelName = (typeof agentLevels)[number];
export const taskKinds = ["plan", "replan", "work"] as const;

/** Attempts, backoff and deadline of one task (ORCH-004). */
export const retryPolicySchema = z
  .object({
    maxAttempts: z.number().int().min(1).max(20),
    backoffMs: z.number().int().min(0).max(3_600_000),
    backoffMaxMs: z.number().int().min(0).max(86_400_000),
    /** Longest one attempt may run. */
    timeoutMs: z.number().int().min(100).max(86_400_000),
    deadlineAt: isoTime.nullable(),
  })
  .strict();

const ventureRef = { ventureId: z.string(), workstreamId: z.string() };
const taskRef = { taskId: z.string(), ...ventureRef };
const runRef = { ...taskRef, runId: z.string(), attempt: z.number().int().positive() };

/**
 * Where a dispatched task's work message goes: its level's subject, and for L2 its role's
 * (ADR 0009). The relay publishes task_dispatched on this work subject as well as on its event
 * subject; each level and role has its own durable consumer on the work stream.
 */
export function workSubjectSuffix(payload: { level: AgentLevelName; role: string }): string {
  if (payload.level === "L1") return "l1";
  if (payload.level === "L3") return "l3";
  return `l2.${payload.role}`;
}

export const orchestrationEvents = {
  "orchestration.portfolio_created": {
    schemaVersion: 1,
    payload: z.object({ portfolioId: z.string(), name: z.string() }).strict(),
  },
  "orchestration.venture_created": {
    schemaVersion: 1,
    payload: z
      .object({
        ventureId: z.string(),
        portfolioId: z.string(),
        name: z.string(),
        slug: z.string(),
        goal: z.string().nullable(),
        stage: z.string(),
      })
      .strict(),
  },
  "orchestration.venture_provisioned": {
    schemaVersion: 1,
    payload: z.object({ ventureId: z.string(), provisionedBy: z.string() }).strict(),
  },
  /** Name or goal changed; only the fields that changed are present. */
  "orchestration.venture_updated": {
    schemaVersion: 1,
    payload: z
      .object({
        ventureId: z.string(),
        name: z.string().optional(),
        slug: z.string().optional(),
        goal: z.string().nullable().optional(),
      })
      .strict(),
  },
  /** ORCH-001 lifecycle: idea → validating → building → launched → scaling → sunset. */
  "orchestration.venture_stage_changed": {
    schemaVersion: 1,
    payload: z
      .object({
        ventureId: z.string(),
        from: z.enum(ventureStages),
        to: z.enum(ventureStages),
        reason: z.string().nullable(),
      })
      .strict(),
  },
  /** ORCH-005: concurrency limit and fair-share weight. */
  "orchestration.venture_limits_set": {
    schemaVersion: 1,
    payload: z
      .object({
        ventureId: z.string(),
        concurrencyLimit: z.number().int().min(0).max(1_000),
        weight: z.number().int().min(1).max(1_000),
      })
      .strict(),
  },
  "orchestration.venture_paused": {
    schemaVersion: 1,
    payload: z.object({ ventureId: z.string(), reason: z.string() }).strict(),
  },
  "orchestration.venture_resumed": {
    schemaVersion: 1,
    payload: z.object({ ventureId: z.string(), reason: z.string() }).strict(),
  },

  /** ORCH-008: a venture launched from a template; its workstream holds the template's DAG. */
  "orchestration.template_applied": {
    schemaVersion: 1,
    payload: z
      .object({
        ventureId: z.string(),
        templateId: z.string(),
        templateName: z.string(),
        workstreamId: z.string(),
      })
      .strict(),
  },

  /** A DAG of tasks (their task_created events follow in the same transaction). */
  "orchestration.workstream_submitted": {
    schemaVersion: 1,
    payload: z
      .object({
        ...ventureRef,
        title: z.string(),
        goal: z.string().nullable(),
        origin: z.enum(["goal", "tasks"]),
        taskIds: z.array(z.string()),
      })
      .strict(),
  },
  /** Tasks added to a running workstream: the L1 planner's plan or replan. */
  "orchestration.workstream_extended": {
    schemaVersion: 1,
    payload: z
      .object({
        ...ventureRef,
        byTaskId: z.string(),
        taskIds: z.array(z.string()),
        /** Dependents moved from a task that failed for good to its replacement (replan). */
        rewired: z.array(z.object({ taskId: z.string(), from: z.string(), to: z.string() }).strict()),
      })
      .strict(),
  },
  "orchestration.workstream_paused": {
    schemaVersion: 1,
    payload: z.object({ ...ventureRef, reason: z.string() }).strict(),
  },
  "orchestration.workstream_resumed": {
    schemaVersion: 1,
    payload: z.object({ ...ventureRef, reason: z.string() }).strict(),
  },
  "orchestration.workstream_cancelled": {
    schemaVersion: 1,
    payload: z.object({ ...ventureRef, reason: z.string() }).strict(),
  },
  /** Every task of the workstream succeeded or was cancelled. */
  "orchestration.workstream_completed": {
    schemaVersion: 1,
    payload: z
      .object({ ...ventureRef, succeeded: z.number().int().min(0), cancelled: z.number().int().min(0) })
      .strict(),
  },

  "orchestration.task_created": {
    schemaVersion: 1,
    payload: z
      .object({
        ...taskRef,
        key: z.string(),
        title: z.string(),
        level: z.enum(agentLevels),
        role: z.string(),
        kind: z.enum(taskKinds),
        inputs: z.record(z.string(), z.unknown()),
        dependsOn: z.array(z.string()),
        estimatedCostMinor: minor,
        spendCeilingMinor: minor,
        priority: z.number().int(),
        retry: retryPolicySchema,
      })
      .strict(),
  },
  /** The estimated cost exceeds the venture's remaining budget: the task waits (ORCH-005). */
  "orchestration.task_waiting_budget": {
    schemaVersion: 1,
    payload: z
      .object({ ...taskRef, estimatedCostMinor: minor, availableMinor: minor, currency: z.string() })
      .strict(),
  },
  /** Published on the work subject of the task's level (and role) as well: see workSubjectSuffix. */
  "orchestration.task_dispatched": {
    schemaVersion: 1,
    payload: z
      .object({
        ...runRef,
        portfolioId: z.string(),
        level: z.enum(agentLevels),
        role: z.string(),
        kind: z.enum(taskKinds),
        timeoutMs: z.number().int().positive(),
      })
      .strict(),
  },
  "orchestration.task_started": {
    schemaVersion: 1,
    payload: z.object({ ...runRef, worker: z.string(), leaseExpiresAt: isoTime }).strict(),
  },
  "orchestration.task_succeeded": {
    schemaVersion: 1,
    payload: z
      .object({
        ...runRef,
        /** What the agent produced: a summary for people and a machine-readable output. */
        summary: z.string(),
        output: z.record(z.string(), z.unknown()),
        costMinor: minor,
        inputTokens: z.number().int().min(0),
        outputTokens: z.number().int().min(0),
      })
      .strict(),
  },
  /**
   * One attempt failed: the agent reported an error, the attempt timed out, or its run was lost
   * (lease expired, never started). nextAttemptAt is set when the retry policy allows another
   * attempt; otherwise task_escalated follows in the same transaction.
   */
  "orchestration.task_attempt_failed": {
    schemaVersion: 1,
    payload: z
      .object({
        ...runRef,
        cause: z.enum(["error", "timeout", "lease_expired", "dispatch_expired", "refused"]),
        error: z.string(),
        retryable: z.boolean(),
        nextAttemptAt: isoTime.nullable(),
      })
      .strict(),
  },
  /** A run stopped by a pause (task, workstream, venture or kill-switch): the attempt is not counted. */
  "orchestration.task_run_aborted": {
    schemaVersion: 1,
    payload: z.object({ ...runRef, reason: z.string() }).strict(),
  },
  /** Retries exhausted or the deadline passed: the task waits in the founder's escalation inbox. */
  "orchestration.task_escalated": {
    schemaVersion: 1,
    payload: z
      .object({ ...taskRef, attempts: z.number().int().min(0), reason: z.string(), lastError: z.string() })
      .strict(),
  },
  "orchestration.task_paused": {
    schemaVersion: 1,
    payload: z.object({ ...taskRef, from: z.string(), reason: z.string() }).strict(),
  },
  "orchestration.task_resumed": {
    schemaVersion: 1,
    payload: z.object({ ...taskRef, to: z.string(), reason: z.string() }).strict(),
  },
  "orchestration.task_cancelled": {
    schemaVersion: 1,
    payload: z
      .object({
        ...taskRef,
        from: z.string(),
        reason: z.string(),
        /** Set when the task was cancelled because a task it depends on was. */
        cascadedFrom: z.string().nullable(),
      })
      .strict(),
  },
  /** The founder asked for more attempts of an escalated task. */
  "orchestration.task_retried": {
    schemaVersion: 1,
    payload: z.object({ ...taskRef, extraAttempts: z.number().int().min(1), note: z.string() }).strict(),
  },
  /** The founder changed an escalated, paused or not-yet-dispatched task. */
  "orchestration.task_edited": {
    schemaVersion: 1,
    payload: z
      .object({
        ...taskRef,
        title: z.string().optional(),
        role: z.string().optional(),
        inputs: z.record(z.string(), z.unknown()).optional(),
        estimatedCostMinor: minor.optional(),
        priority: z.number().int().optional(),
        retry: retryPolicySchema.optional(),
      })
      .strict(),
  },
  /** The replanner moved this task's dependency from a task that failed for good to its replacement. */
  "orchestration.task_dependencies_changed": {
    schemaVersion: 1,
    payload: z.object({ ...taskRef, dependsOn: z.array(z.string()), reason: z.string() }).strict(),
  },
} as const;

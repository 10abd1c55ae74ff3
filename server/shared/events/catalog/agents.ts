// Agent runtime events (AGENT-001…008): metered model calls, tool calls through the one gateway
// (allowed or denied, with the policy decision), approvals bound to exact arguments, workload
// credentials and supervised subprocesses. Money is a string of digits in minor units.
import { z } from "zod";
import { policyDecisionRecordSchema } from "./policy";

const minor = z
  .string()
  .regex(/^\d+$/, "a non-negative integer amount in minor units, as a string of digits");
const isoTime = z.iso.datetime({ offset: true });
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "a SHA-256 hex digest");

const runRef = {
  ventureId: z.string(),
  taskId: z.string(),
  runId: z.string(),
};

export const modelCallStatuses = ["ok", "error", "aborted", "timeout"] as const;

/** Why the gateway refused a tool call. */
export const toolDenialReasons = [
  "token",
  "unknown_tool",
  "invalid_arguments",
  "role_allowlist",
  "task_scope",
  "policy",
  "approval_denied",
  "approval_expired",
  "spend_ceiling",
  "budget",
  "stale_run",
] as const;

export const agentsEvents = {
  /** A model call finished (or failed) after its maximum cost was held; costMinor was posted. */
  "agents.model_call_completed": {
    schemaVersion: 1,
    payload: z
      .object({
        callId: z.string(),
        ...runRef,
        seq: z.number().int().min(0),
        provider: z.string(),
        model: z.string(),
        status: z.enum(modelCallStatuses),
        inputTokens: z.number().int().min(0),
        outputTokens: z.number().int().min(0),
        maxCostMinor: minor,
        costMinor: minor,
        currency: z.string(),
        holdId: z.string().nullable(),
        durationMs: z.number().int().min(0),
        error: z.string().nullable(),
      })
      .strict(),
  },
  /** A model call that would exceed the budget or the run's spend ceiling, refused before it started. */
  "agents.model_call_refused": {
    schemaVersion: 1,
    payload: z
      .object({
        callId: z.string(),
        ...runRef,
        seq: z.number().int().min(0),
        provider: z.string(),
        model: z.string(),
        maxCostMinor: minor,
        currency: z.string(),
        reason: z.enum(["spend_ceiling", "budget", "paused"]),
        message: z.string(),
      })
      .strict(),
  },
  /**
   * The gateway allowed a tool call, recorded before the tool runs (SPEC invariant 3: no tool runs
   * without a recorded permit decision).
   */
  "agents.tool_call_allowed": {
    schemaVersion: 1,
    payload: z
      .object({
        callId: z.string(),
        ...runRef,
        tool: z.string(),
        argsHash: sha256,
        decision: policyDecisionRecordSchema,
        approvalId: z.string().nullable(),
        via: z.enum(["runtime", "mcp"]),
      })
      .strict(),
  },
  /** How an allowed tool call ended. */
  "agents.tool_call_completed": {
    schemaVersion: 1,
    payload: z
      .object({
        callId: z.string(),
        ...runRef,
        tool: z.string(),
        outcome: z.enum(["completed", "failed"]),
        costMinor: minor,
        summary: z.string(),
      })
      .strict(),
  },
  /** A tool call the gateway refused (AGENT-002: denials are events). */
  "agents.tool_call_denied": {
    schemaVersion: 1,
    payload: z
      .object({
        callId: z.string(),
        /** Null when the caller could not be identified (forged or expired token). */
        ventureId: z.string().nullable(),
        taskId: z.string().nullable(),
        runId: z.string().nullable(),
        tool: z.string(),
        argsHash: sha256,
        reason: z.enum(toolDenialReasons),
        message: z.string(),
        decision: policyDecisionRecordSchema.nullable(),
        via: z.enum(["runtime", "mcp"]),
      })
      .strict(),
  },
  /** A "needs approval" tool call waits for a person; the approval is bound to argsHash. */
  "agents.tool_approval_requested": {
    schemaVersion: 1,
    payload: z
      .object({
        approvalId: z.string(),
        ventureId: z.string(),
        taskId: z.string(),
        tool: z.string(),
        argsHash: sha256,
        args: z.record(z.string(), z.unknown()),
        expiresAt: isoTime,
      })
      .strict(),
  },
  "agents.tool_approval_decided": {
    schemaVersion: 1,
    payload: z
      .object({
        approvalId: z.string(),
        ventureId: z.string(),
        taskId: z.string(),
        decision: z.enum(["approved", "denied"]),
        decidedBy: z.string(),
        note: z.string().nullable(),
      })
      .strict(),
  },
  /** A short-lived workload credential was issued (the token itself is never recorded). */
  "agents.workload_token_issued": {
    schemaVersion: 1,
    payload: z
      .object({
        tokenId: z.string(),
        ...runRef,
        role: z.string(),
        level: z.string(),
        tools: z.array(z.string()),
        spendCeilingMinor: minor,
        expiresAt: isoTime,
        keyId: z.string(),
        issuedTo: z.enum(["runtime", "external"]),
      })
      .strict(),
  },
  /** An L3 subprocess ended, classified (AGENT-005). */
  "agents.process_exited": {
    schemaVersion: 1,
    payload: z
      .object({
        processId: z.string(),
        ...runRef,
        program: z.string(),
        outcome: z.enum(["ok", "failed", "timeout", "killed"]),
        exitCode: z.number().int().nullable(),
        signal: z.string().nullable(),
        durationMs: z.number().int().min(0),
        stdoutBytes: z.number().int().min(0),
        stderrBytes: z.number().int().min(0),
        truncated: z.boolean(),
        reason: z.string().nullable(),
      })
      .strict(),
  },
} as const;

import type { Db } from "@/server/shared/db";

export type TaskActivity = {
  modelCalls: Array<{
    id: string;
    runId: string;
    seq: number;
    provider: string;
    model: string;
    status: string;
    maxCostMinor: bigint;
    costMinor: bigint;
    inputTokens: number;
    outputTokens: number;
    error: string | null;
    startedAt: Date;
    finishedAt: Date | null;
  }>;
  toolCalls: Array<{
    id: string;
    runId: string | null;
    tool: string;
    outcome: string;
    reason: string | null;
    /** The policy decision: outcome, deciding policies and reasons (from PolicyDecisionRecord). */
    decision: {
      outcome: string;
      determiningPolicies: string[];
      reasons: string[];
      policyVersion: string;
    } | null;
    costMinor: bigint;
    summary: string;
    via: string;
    createdAt: Date;
  }>;
  approvals: Array<{
    id: string;
    tool: string;
    status: string;
    expiresAt: Date;
    decidedBy: string | null;
    createdAt: Date;
  }>;
  totals: {
    costMinor: bigint;
    inputTokens: number;
    outputTokens: number;
    modelCalls: number;
    toolCalls: number;
    denials: number;
  };
};

/**
 * What the agents did for one task (CTRL-001 task detail): every model call with its tokens and
 * cost, every tool call with the policy decision that allowed or refused it, and approvals.
 * The caller has checked the task belongs to the venture; rows are filtered by both anyway.
 */
export async function getTaskActivity(options: {
  db: Db;
  ventureId: string;
  taskId: string;
}): Promise<TaskActivity> {
  const [modelCalls, toolCalls, approvals] = await Promise.all([
    options.db.$queryRawUnsafe<TaskActivity["modelCalls"]>(
      `SELECT id, run_id AS "runId", seq, provider, model, status, max_cost_minor AS "maxCostMinor", cost_minor AS "costMinor",
              input_tokens AS "inputTokens", output_tokens AS "outputTokens", error, started_at AS "startedAt", finished_at AS "finishedAt"
         FROM agent_model_calls WHERE task_id = $1 AND venture_id = $2 ORDER BY started_at, seq LIMIT 500`,
      options.taskId,
      options.ventureId,
    ),
    options.db.$queryRawUnsafe<
      Array<
        Omit<TaskActivity["toolCalls"][number], "decision"> & { decision: Record<string, unknown> | null }
      >
    >(
      `SELECT id, run_id AS "runId", tool, outcome, reason, decision, cost_minor AS "costMinor", summary, via, created_at AS "createdAt"
         FROM agent_tool_calls WHERE task_id = $1 AND venture_id = $2 ORDER BY created_at LIMIT 500`,
      options.taskId,
      options.ventureId,
    ),
    options.db.$queryRawUnsafe<TaskActivity["approvals"]>(
      `SELECT id, tool, status, expires_at AS "expiresAt", decided_by AS "decidedBy", created_at AS "createdAt"
         FROM agent_tool_approvals WHERE task_id = $1 AND venture_id = $2 ORDER BY created_at`,
      options.taskId,
      options.ventureId,
    ),
  ]);
  const tools = toolCalls.map((call) => ({
    ...call,
    decision: call.decision
      ? {
          outcome: String(call.decision.outcome),
          determiningPolicies: (call.decision.determiningPolicies as string[]) ?? [],
          reasons: (call.decision.reasons as string[]) ?? [],
          policyVersion: String(call.decision.policyVersion),
        }
      : null,
  }));
  return {
    modelCalls,
    toolCalls: tools,
    approvals,
    totals: {
      costMinor:
        modelCalls.reduce((sum, c) => sum + c.costMinor, 0n) +
        tools.reduce((sum, c) => sum + c.costMinor, 0n),
      inputTokens: modelCalls.reduce((sum, c) => sum + c.inputTokens, 0),
      outputTokens: modelCalls.reduce((sum, c) => sum + c.outputTokens, 0),
      modelCalls: modelCalls.length,
      toolCalls: tools.length,
      denials: tools.filter((t) => t.outcome === "denied").length,
    },
  };
}

// The one tool gateway (AGENT-002, AGENT-003, AGENT-008). Every tool call — from an agent in the
// runtime or an external agent over MCP — passes the same checks, in one transaction, default deny:
//   1. the workload token verifies (key, EdDSA signature, issuer, audience, expiry, claim shape);
//   2. its claims are no wider than what the task grants (venture, role, tools within the role's
//      allowlist and the task's scope, spend ceiling), and a runtime token's run is still current;
//   3. the tool exists and the arguments match its schema;
//   4. the tool is in the role's allowlist and in the token's (task's) scope;
//   5. the portfolio's Cedar tools policy allows it (with the kill-switch state: paused denies);
//   6. the run's spend ceiling covers the tool's cost, and the budget holds it;
//   7. a "needs approval" tool has a person's approval for this exact call (the SHA-256 of the
//      canonical arguments), not expired — otherwise an approval is requested and the call waits.
// A refusal is recorded as agents.tool_call_denied; an allowed call as agents.tool_call_allowed
// before the tool runs and agents.tool_call_completed after.
import { createHash } from "node:crypto";
import { lockControlState } from "@/server/contexts/control/api";
import { readTask } from "@/server/contexts/orchestration/api";
import { checkToolCall } from "@/server/contexts/policy/api";
import { canonicalJson } from "@/server/shared/canonical-json";
import { type Clock, systemClock } from "@/server/shared/clock";
import { type Db, type Tx, withTransaction } from "@/server/shared/db";
import { isAppError } from "@/server/shared/errors";
import type { EventPayload } from "@/server/shared/events/catalog";
import type { PolicyDecisionRecord } from "@/server/shared/events/catalog/policy";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents, type CommandContext } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { verifyWorkloadToken, type WorkloadClaims, WorkloadTokenError } from "../identity/workload-token";
import type { SpendMeter } from "../metering/meter";
import { runSpentMinor } from "../metering/metered-model-call";
import { roleDefinition } from "../roles";
import type { Supervisor } from "../supervisor/supervisor";
import { type ToolDefinition, type ToolResult, toolsByName } from "./registry";

export type DenialReason = EventPayload<"agents.tool_call_denied">["reason"];

export type GatewayResult =
  | { outcome: "completed"; callId: string; summary: string; output: Record<string, unknown> }
  | { outcome: "failed"; callId: string; message: string }
  | {
      outcome: "denied";
      callId: string;
      reason: DenialReason;
      message: string;
      decision: PolicyDecisionRecord | null;
    }
  | { outcome: "needs_approval"; callId: string; approvalId: string; expiresAt: Date; message: string };

export type GatewayDeps = {
  db: Db;
  meter: SpendMeter;
  /** This process's L3 supervisor; null where subprocesses may not run (sandbox.run then fails). */
  supervisor: Supervisor | null;
  clock?: Clock;
  /** How long a requested approval waits for a person. */
  approvalTtlMs?: number;
};

export type GatewayCall = {
  token: string;
  tool: string;
  args: unknown;
  via: "runtime" | "mcp";
  signal?: AbortSignal;
  correlationId?: string;
  causationId?: string | null;
};

const defaultApprovalTtlMs = 24 * 3_600_000;

export function argsHashOf(args: unknown): string {
  let text: string;
  try {
    text = canonicalJson(args ?? null);
  } catch {
    text = JSON.stringify(String(args));
  }
  return createHash("sha256").update(text).digest("hex");
}

type Denial = { kind: "deny"; reason: DenialReason; message: string; decision: PolicyDecisionRecord | null };
type Allowed = {
  kind: "allow";
  tool: ToolDefinition;
  args: Record<string, unknown>;
  decision: PolicyDecisionRecord;
  approvalId: string | null;
};
type AwaitingApproval = { kind: "approval"; approvalId: string; expiresAt: Date; created: boolean };

function deny(reason: DenialReason, message: string, decision: PolicyDecisionRecord | null = null): Denial {
  return { kind: "deny", reason, message, decision };
}

export async function callTool(deps: GatewayDeps, call: GatewayCall): Promise<GatewayResult> {
  const clock = deps.clock ?? systemClock;
  const callId = newId("toolCall");
  const argsHash = argsHashOf(call.args);
  const correlationId = call.correlationId ?? newId("correlation");
  const now = clock.now();

  let claims: WorkloadClaims;
  try {
    claims = await verifyWorkloadToken(deps.db, call.token, now);
  } catch (error) {
    const message =
      error instanceof WorkloadTokenError
        ? error.message
        : `The workload token was refused: ${String(error)}`;
    await recordDenial(
      deps.db,
      { actor: { type: "system", id: "tool-gateway" }, correlationId, clock },
      null,
      callId,
      call,
      argsHash,
      deny("token", message),
    );
    return { outcome: "denied", callId, reason: "token", message, decision: null };
  }
  const ctx: CommandContext = {
    actor: { type: "agent", id: claims.run } satisfies EventActor,
    correlationId,
    causationId: call.causationId ?? null,
    clock,
  };

  let verdict: Denial | Allowed | AwaitingApproval;
  try {
    verdict = await withTransaction(deps.db, (tx) =>
      decide(tx, deps, ctx, claims, call, callId, argsHash, now),
    );
  } catch (error) {
    // The budget could not hold the tool's cost: the reservation rolled back with the transaction.
    if (isAppError(error) && (error.code === "UNPROCESSABLE" || error.code === "NOT_FOUND")) {
      verdict = deny("budget", `The venture's budget cannot cover this tool call: ${error.message}`);
    } else throw error;
  }
  if (verdict.kind === "deny") {
    await recordDenial(deps.db, ctx, claims, callId, call, argsHash, verdict);
    return {
      outcome: "denied",
      callId,
      reason: verdict.reason,
      message: verdict.message,
      decision: verdict.decision,
    };
  }
  if (verdict.kind === "approval") {
    return {
      outcome: "needs_approval",
      callId,
      approvalId: verdict.approvalId,
      expiresAt: verdict.expiresAt,
      message: `${call.tool} needs a person's approval of these exact arguments (approval ${verdict.approvalId}, until ${verdict.expiresAt.toISOString()})`,
    };
  }

  // Allowed and recorded: run the tool outside any transaction, then record how it ended.
  let result: ToolResult | null = null;
  let failure: string | null = null;
  try {
    result = await verdict.tool.run(
      {
        db: deps.db,
        now: clock.now(),
        venture: { id: claims.venture, portfolioId: claims.portfolio, currency: claims.currency },
        taskId: claims.task,
        runId: claims.run,
        signal: call.signal ?? new AbortController().signal,
        supervisor: deps.supervisor,
      },
      verdict.args,
    );
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  const summary = (result?.summary ?? `failed: ${failure}`).slice(0, 1_000);
  await withTransaction(deps.db, async (tx) => {
    const costMinor = verdict.tool.costMinor;
    if (costMinor > 0n)
      await deps.meter.settle(tx, ctx, { holdId: callId, amountMinor: failure ? 0n : costMinor });
    const runRef = { ventureId: claims.venture, taskId: claims.task, runId: claims.run };
    await appendEvents(tx, ctx, [
      {
        type: "agents.tool_call_completed",
        stream: { type: "tool_call", id: callId },
        expectedVersion: 1,
        portfolioId: claims.portfolio,
        payload: {
          callId,
          ...runRef,
          tool: call.tool,
          outcome: failure ? "failed" : "completed",
          costMinor: (failure ? 0n : costMinor).toString(),
          summary,
        },
      },
      ...(result?.process
        ? [
            {
              type: "agents.process_exited" as const,
              stream: { type: "process", id: `${callId}:process` },
              expectedVersion: 0,
              portfolioId: claims.portfolio,
              payload: {
                processId: `${callId}:process`,
                ...runRef,
                program: result.process.program,
                outcome: result.process.result.outcome,
                exitCode: result.process.result.exitCode,
                signal: result.process.result.signal,
                durationMs: result.process.result.durationMs,
                stdoutBytes: result.process.result.stdoutBytes,
                stderrBytes: result.process.result.stderrBytes,
                truncated: result.process.result.truncated,
                reason: result.process.result.reason,
              },
            },
          ]
        : []),
    ]);
    await tx.$executeRawUnsafe(
      "UPDATE agent_tool_calls SET outcome = $2, summary = $3, cost_minor = $4 WHERE id = $1",
      callId,
      failure ? "failed" : "completed",
      summary,
      failure ? 0n : costMinor,
    );
  });
  if (failure) return { outcome: "failed", callId, message: failure };
  return { outcome: "completed", callId, summary, output: result!.output };
}

async function decide(
  tx: Tx,
  deps: GatewayDeps,
  ctx: CommandContext,
  claims: WorkloadClaims,
  call: GatewayCall,
  callId: string,
  argsHash: string,
  now: Date,
): Promise<Denial | Allowed | AwaitingApproval> {
  // 2. The token may not grant more than the task does.
  const task = await readTask(tx, claims.task);
  const role = roleDefinition(claims.role);
  if (!task || task.ventureId !== claims.venture || task.portfolioId !== claims.portfolio) {
    return deny(
      "token",
      `The token names task ${claims.task} of venture ${claims.venture}, which does not exist`,
    );
  }
  if (!role || task.role !== claims.role || task.level !== claims.level) {
    return deny(
      "token",
      `The token's role ${claims.role} (${claims.level}) is not the task's role ${task.role} (${task.level})`,
    );
  }
  const scope = taskScope(task.inputs, role.tools);
  const widened = claims.tools.filter((t) => !scope.includes(t));
  if (widened.length > 0) {
    return deny(
      "token",
      `The token grants ${widened.join(", ")}, beyond the task's scope (${scope.join(", ")})`,
    );
  }
  if (BigInt(claims.spendCeilingMinor) > task.spendCeilingMinor) {
    return deny(
      "token",
      `The token's spend ceiling ${claims.spendCeilingMinor} exceeds the task's ${task.spendCeilingMinor}`,
    );
  }
  if (claims.issuedTo === "runtime" && (task.runId !== claims.run || task.status !== "running")) {
    return deny(
      "stale_run",
      `Run ${claims.run} is no longer the task's current run (task is ${task.status})`,
    );
  }
  if (claims.issuedTo === "external" && (task.status === "succeeded" || task.status === "cancelled")) {
    return deny("stale_run", `Task ${task.id} is ${task.status}; its credentials no longer act`);
  }

  // 3. The tool and its arguments.
  const tool = toolsByName.get(call.tool);
  if (!tool) return deny("unknown_tool", `There is no tool named ${call.tool}`);
  const parsed = tool.input.safeParse(call.args ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join(".") || "(arguments)"}: ${i.message}`)
      .join("; ");
    return deny("invalid_arguments", `Invalid arguments for ${call.tool}: ${problems}`);
  }

  // 4. Role allowlist and task scope, named separately so a refusal says which one.
  if (!role.tools.includes(call.tool)) {
    return deny(
      "role_allowlist",
      `Role ${claims.role} may not call ${call.tool} (allowed: ${role.tools.join(", ")})`,
    );
  }
  if (!claims.tools.includes(call.tool)) {
    return deny("task_scope", `${call.tool} is outside this task's scope (${claims.tools.join(", ")})`);
  }

  // 5. The Cedar policy decides; the kill-switch state goes in as `paused` (fail closed when unknown).
  let paused: boolean;
  try {
    paused = (await lockControlState(tx)).state === "paused";
  } catch {
    paused = true;
  }
  const decision = await checkToolCall({
    db: tx,
    agent: {
      kind: "agent",
      agentId: claims.run,
      ventureId: claims.venture,
      portfolioId: claims.portfolio,
      role: claims.role,
      level: claims.level,
    },
    roleAllowedTools: role.tools,
    tool: call.tool,
    task: { taskId: claims.task, scopeTools: claims.tools },
    paused,
  });
  if (decision.outcome !== "allow") {
    const why = decision.reasons.join("; ") || "no policy permits it";
    return deny("policy", `The tools policy denies ${call.tool}: ${why}`, decision);
  }

  // 6. Spend: the ceiling first (a clear refusal), then the budget through the ledger.
  if (tool.costMinor > 0n) {
    const spent = await runSpentMinor(tx, claims.run);
    if (spent + tool.costMinor > BigInt(claims.spendCeilingMinor)) {
      return deny(
        "spend_ceiling",
        `${call.tool} costs ${tool.costMinor}; run ${claims.run} has spent ${spent} of its ceiling ${claims.spendCeilingMinor}`,
        decision,
      );
    }
  }

  // 7. A person's approval of these exact arguments.
  let approvalId: string | null = null;
  if (tool.needsApproval) {
    const [existing] = await tx.$queryRawUnsafe<Array<{ id: string; status: string; expires_at: Date }>>(
      "SELECT id, status, expires_at FROM agent_tool_approvals WHERE task_id = $1 AND tool = $2 AND args_hash = $3 FOR UPDATE",
      claims.task,
      call.tool,
      argsHash,
    );
    if (!existing) {
      const id = newId("toolApproval");
      const expiresAt = new Date(now.getTime() + (deps.approvalTtlMs ?? defaultApprovalTtlMs));
      await appendEvents(tx, ctx, [
        {
          type: "agents.tool_approval_requested",
          stream: { type: "tool_approval", id },
          expectedVersion: 0,
          portfolioId: claims.portfolio,
          payload: {
            approvalId: id,
            ventureId: claims.venture,
            taskId: claims.task,
            tool: call.tool,
            argsHash,
            args: parsed.data as Record<string, unknown>,
            expiresAt: expiresAt.toISOString(),
          },
        },
      ]);
      await tx.$executeRawUnsafe(
        `INSERT INTO agent_tool_approvals (id, portfolio_id, venture_id, task_id, tool, args_hash, args, status, expires_at, version, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, 'pending', $8, 1, $9)`,
        id,
        claims.portfolio,
        claims.venture,
        claims.task,
        call.tool,
        argsHash,
        JSON.stringify(parsed.data),
        expiresAt,
        now,
      );
      return { kind: "approval", approvalId: id, expiresAt, created: true };
    }
    if (existing.expires_at.getTime() <= now.getTime()) {
      return deny(
        "approval_expired",
        `The approval ${existing.id} for this exact call expired at ${existing.expires_at.toISOString()}`,
        decision,
      );
    }
    if (existing.status === "denied")
      return deny("approval_denied", `A person denied this exact call (approval ${existing.id})`, decision);
    if (existing.status === "pending")
      return { kind: "approval", approvalId: existing.id, expiresAt: existing.expires_at, created: false };
    approvalId = existing.id;
  }

  if (tool.costMinor > 0n) {
    await deps.meter.reserve(tx, ctx, {
      holdId: callId,
      ventureId: claims.venture,
      currency: claims.currency,
      category: "tools",
      amountMinor: tool.costMinor,
      expiresAt: new Date(now.getTime() + 30 * 60_000),
      memo: `tool call ${callId} (${call.tool}) of task ${claims.task}`,
    });
  }
  await appendEvents(tx, ctx, [
    {
      type: "agents.tool_call_allowed",
      stream: { type: "tool_call", id: callId },
      expectedVersion: 0,
      portfolioId: claims.portfolio,
      payload: {
        callId,
        ventureId: claims.venture,
        taskId: claims.task,
        runId: claims.run,
        tool: call.tool,
        argsHash,
        decision,
        approvalId,
        via: call.via,
      },
    },
  ]);
  await tx.$executeRawUnsafe(
    `INSERT INTO agent_tool_calls (id, portfolio_id, venture_id, task_id, run_id, tool, args_hash, outcome, reason, decision,
                                   cost_minor, summary, via, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, 'running', NULL, $8::jsonb, $9, 'running', $10, $11)`,
    callId,
    claims.portfolio,
    claims.venture,
    claims.task,
    claims.run,
    call.tool,
    argsHash,
    JSON.stringify(decision),
    tool.costMinor,
    call.via,
    now,
  );
  return { kind: "allow", tool, args: parsed.data as Record<string, unknown>, decision, approvalId };
}

/**
 * The tools a task may use: its inputs may narrow the role's allowlist with `tools`; otherwise
 * the scope is the whole allowlist. A task can never widen it.
 */
export function taskScope(inputs: Record<string, unknown>, roleTools: readonly string[]): string[] {
  const requested = Array.isArray(inputs.tools)
    ? inputs.tools.filter((t): t is string => typeof t === "string")
    : null;
  return requested ? roleTools.filter((t) => requested.includes(t)) : [...roleTools];
}

async function recordDenial(
  db: Db,
  ctx: CommandContext,
  claims: WorkloadClaims | null,
  callId: string,
  call: GatewayCall,
  argsHash: string,
  denial: Denial,
): Promise<void> {
  await withTransaction(db, async (tx) => {
    await appendEvents(tx, ctx, [
      {
        type: "agents.tool_call_denied",
        stream: { type: "tool_call", id: callId },
        expectedVersion: 0,
        portfolioId: claims?.portfolio ?? null,
        payload: {
          callId,
          ventureId: claims?.venture ?? null,
          taskId: claims?.task ?? null,
          runId: claims?.run ?? null,
          tool: call.tool.slice(0, 200),
          argsHash,
          reason: denial.reason,
          message: denial.message.slice(0, 2_000),
          decision: denial.decision,
          via: call.via,
        },
      },
    ]);
    await tx.$executeRawUnsafe(
      `INSERT INTO agent_tool_calls (id, portfolio_id, venture_id, task_id, run_id, tool, args_hash, outcome, reason, decision,
                                     summary, via, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'denied', $8, $9::jsonb, $10, $11, $12)`,
      callId,
      claims?.portfolio ?? null,
      claims?.venture ?? null,
      claims?.task ?? null,
      claims?.run ?? null,
      call.tool.slice(0, 200),
      argsHash,
      denial.reason,
      denial.decision ? JSON.stringify(denial.decision) : null,
      denial.message.slice(0, 1_000),
      call.via,
      (ctx.clock ?? systemClock).now(),
    );
  });
}

// Executes one started task run in the agent runtime (AGENT-001, AGENT-005, AGENT-006):
// a workload token for the run, then
// - L1: the planner's conversation, ending in a JSON plan that extends the workstream;
// - L2: the role's agent loop: metered model calls, tool calls through the gateway, an answer;
// - L3: one supervised subprocess through the gateway's sandbox.run tool;
// and the outcome reported through the orchestration commands (complete, fail, abort). While it
// runs, the lease is renewed; a renewal that says the run is no longer current or something above
// it is paused, the attempt's timeout, and the kill-switch all abort it through one AbortSignal.
import {
  abortTaskRun,
  completeTaskRun,
  failTaskRun,
  type PlanExtension,
  renewTaskLease,
  type TaskRunContext,
} from "@/server/contexts/orchestration/api";
import { type Clock, systemClock } from "@/server/shared/clock";
import { type Db, withTransaction } from "@/server/shared/db";
import { isAppError } from "@/server/shared/errors";
import { appendEvents, type CommandContext } from "@/server/shared/events/store";
import type { Logger } from "@/server/shared/logger";
import type { WorkloadKeyring } from "../identity/workload-token";
import type { SpendMeter } from "../metering/meter";
import { meteredModelCall, type RunSpend, SpendRefusal } from "../metering/metered-model-call";
import type { ProviderRegistry } from "../providers/registry";
import { type ChatMessage, ProviderError, type ToolSpec } from "../providers/types";
import { roleDefinition } from "../roles";
import { callTool, type GatewayDeps, type GatewayResult, taskScope } from "../tools/gateway";
import { toolJsonSchema, toolsByName } from "../tools/registry";
import { InvalidPlanError, parsePlan } from "./plan";

export type RunDeps = {
  db: Db;
  providers: ProviderRegistry;
  meter: SpendMeter;
  keyring: WorkloadKeyring;
  gateway: GatewayDeps;
  log: Logger;
  clock?: Clock;
  /** The process's name in task_started and in logs. */
  worker: string;
  leaseMs: number;
  /** How long a run waits for a person to approve a tool call before the attempt gives up. */
  approvalWaitMs?: number;
  approvalPollMs?: number;
  /** Registers the run's AbortController with the kill-switch gate; returns the unregistration. */
  trackAbortable?: (controller: AbortController) => () => void;
};

type StopReason = { kind: "stale" | "paused" | "timeout" | "killed"; detail: string };

class RunStopped extends Error {
  constructor(readonly stop: StopReason) {
    super(stop.detail);
  }
}

type Totals = { costMinor: bigint; inputTokens: number; outputTokens: number };

export async function executeRun(
  deps: RunDeps,
  run: TaskRunContext,
  origin: { correlationId: string; causationId: string },
): Promise<"succeeded" | "failed" | "aborted" | "stale"> {
  const clock = deps.clock ?? systemClock;
  const { task } = run;
  const log = deps.log.child({ taskId: task.id, runId: run.runId, role: task.role });
  const ctx: CommandContext = {
    actor: { type: "agent", id: run.runId },
    correlationId: origin.correlationId,
    causationId: origin.causationId,
    clock,
  };
  const controller = new AbortController();
  let stop: StopReason | null = null;
  const stopWith = (reason: StopReason) => {
    if (stop) return;
    stop = reason;
    controller.abort(new RunStopped(reason));
  };
  const untrack = deps.trackAbortable?.(controller);
  controller.signal.addEventListener("abort", () => {
    // Aborted from outside (the kill-switch gate): record why.
    if (!stop) stop = { kind: "killed", detail: "stopped by the kill-switch" };
  });

  // Renew the lease a few times per lease period; stop when told to, or when renewals keep failing
  // until the lease has run out (someone else may then be running the task).
  let leaseExpiresAt = run.leaseExpiresAt.getTime();
  const renewEvery = Math.max(50, Math.floor(deps.leaseMs / 3));
  const renewTimer = setInterval(() => {
    renewTaskLease({
      db: deps.db,
      taskId: task.id,
      runId: run.runId,
      leaseMs: deps.leaseMs,
      now: clock.now(),
    })
      .then((renewal) => {
        if (renewal.ok) leaseExpiresAt = renewal.leaseExpiresAt.getTime();
        else stopWith({ kind: renewal.reason, detail: renewal.detail });
      })
      .catch((error) => {
        log.warn({ err: String(error) }, "lease renewal failed");
        if (clock.now().getTime() >= leaseExpiresAt)
          stopWith({ kind: "stale", detail: "the lease could not be renewed in time" });
      });
  }, renewEvery);
  const timeoutTimer = setTimeout(
    () =>
      stopWith({ kind: "timeout", detail: `attempt ${run.attempt} timed out after ${task.timeoutMs} ms` }),
    task.timeoutMs,
  );

  const spend: RunSpend = {
    portfolioId: task.portfolioId,
    ventureId: task.ventureId,
    taskId: task.id,
    runId: run.runId,
    currency: run.venture.currency,
    spendCeilingMinor: task.spendCeilingMinor,
  };
  const totals: Totals = { costMinor: 0n, inputTokens: 0, outputTokens: 0 };

  try {
    const token = await issueToken(deps, ctx, run, clock.now());
    let outcome: { summary: string; output: Record<string, unknown>; plan: PlanExtension | null };
    if (task.level === "L3") outcome = await runL3(deps, run, token, controller.signal, origin);
    else outcome = await runAgent(deps, run, token, spend, totals, controller.signal, origin, log);
    if (stop) throw new RunStopped(stop);
    try {
      const completed = await completeTaskRun({
        db: deps.db,
        ctx,
        taskId: task.id,
        runId: run.runId,
        outcome: { ...outcome, ...totals },
      });
      return completed === "completed" ? "succeeded" : "stale";
    } catch (error) {
      // An invalid plan (not a DAG, unknown roles) is the planner's failure, not ours.
      if (isAppError(error) && error.code === "BAD_REQUEST") throw new InvalidPlanError(error.message);
      throw error;
    }
  } catch (error) {
    const stopped = stop as StopReason | null;
    if (stopped?.kind === "stale") {
      log.info({ reason: stopped.detail }, "run no longer current: stopped without reporting");
      return "stale";
    }
    if (stopped?.kind === "paused" || stopped?.kind === "killed") {
      const result = await abortTaskRun({
        db: deps.db,
        ctx,
        taskId: task.id,
        runId: run.runId,
        reason: stopped.detail,
      });
      return result === "aborted" ? "aborted" : "stale";
    }
    const failure = classifyFailure(error, stopped);
    if (failure.cause === "refused" && failure.paused) {
      const result = await abortTaskRun({
        db: deps.db,
        ctx,
        taskId: task.id,
        runId: run.runId,
        reason: failure.error,
      });
      return result === "aborted" ? "aborted" : "stale";
    }
    log.warn({ err: failure.error, cause: failure.cause, retryable: failure.retryable }, "run failed");
    const result = await failTaskRun({
      db: deps.db,
      ctx,
      taskId: task.id,
      failure: { runId: run.runId, cause: failure.cause, error: failure.error, retryable: failure.retryable },
    });
    return result === "stale" ? "stale" : "failed";
  } finally {
    clearInterval(renewTimer);
    clearTimeout(timeoutTimer);
    untrack?.();
  }
}

class SandboxFailure extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

function classifyFailure(
  error: unknown,
  stopped: StopReason | null,
): { cause: "error" | "timeout" | "refused"; error: string; retryable: boolean; paused?: boolean } {
  if (stopped?.kind === "timeout") return { cause: "timeout", error: stopped.detail, retryable: true };
  if (error instanceof SpendRefusal) {
    // More budget or a higher ceiling is a person's decision: escalate rather than retry.
    return { cause: "refused", error: error.message, retryable: false, paused: error.reason === "paused" };
  }
  if (error instanceof ProviderError)
    return {
      cause: error.kind === "timeout" ? "timeout" : "error",
      error: error.message,
      retryable: error.retryable,
    };
  if (error instanceof InvalidPlanError) return { cause: "error", error: error.message, retryable: true };
  if (error instanceof SandboxFailure)
    return { cause: "error", error: error.message, retryable: error.retryable };
  if (isAppError(error))
    return {
      cause: "error",
      error: error.message,
      retryable: error.code === "UNAVAILABLE" || error.code === "CONFLICT",
    };
  return { cause: "error", error: error instanceof Error ? error.message : String(error), retryable: true };
}

async function issueToken(
  deps: RunDeps,
  ctx: CommandContext,
  run: TaskRunContext,
  now: Date,
): Promise<string> {
  const { task } = run;
  const role = roleDefinition(task.role);
  const tools = taskScope(task.inputs, role?.tools ?? []);
  const issued = await deps.keyring.issue(
    deps.db,
    {
      venture: task.ventureId,
      portfolio: task.portfolioId,
      task: task.id,
      run: run.runId,
      role: task.role,
      level: task.level,
      tools,
      spendCeilingMinor: task.spendCeilingMinor.toString(),
      currency: run.venture.currency,
      issuedTo: "runtime",
    },
    { ttlMs: task.timeoutMs + 60_000, now },
  );
  await withTransaction(deps.db, (tx) =>
    appendEvents(tx, ctx, [
      {
        type: "agents.workload_token_issued",
        stream: { type: "workload_token", id: issued.tokenId },
        expectedVersion: 0,
        portfolioId: task.portfolioId,
        payload: {
          tokenId: issued.tokenId,
          ventureId: task.ventureId,
          taskId: task.id,
          runId: run.runId,
          role: task.role,
          level: task.level,
          tools,
          spendCeilingMinor: task.spendCeilingMinor.toString(),
          expiresAt: issued.expiresAt.toISOString(),
          keyId: issued.keyId,
          issuedTo: "runtime",
        },
      },
    ]),
  );
  return issued.token;
}

/** The first user message: the task, its venture, what its dependencies produced, its inputs. */
export function taskPrompt(run: TaskRunContext): string {
  const { task } = run;
  const lines = [
    `Task: ${task.title}`,
    `Venture: ${run.venture.name}${run.venture.goal ? ` — goal: ${run.venture.goal}` : ""}`,
    `Workstream: ${run.workstream.title}`,
  ];
  if (run.dependencies.length > 0) {
    lines.push("", "Results of the tasks this one depends on:");
    for (const dep of run.dependencies)
      lines.push(`- ${dep.title} (${dep.role}): ${dep.summary.slice(0, 600)}`);
  }
  lines.push("", "Inputs:", "```json", JSON.stringify(task.inputs), "```");
  return lines.join("\n");
}

async function callToolWaiting(
  deps: RunDeps,
  call: {
    token: string;
    tool: string;
    args: unknown;
    signal: AbortSignal;
    correlationId: string;
    causationId: string;
  },
): Promise<GatewayResult> {
  const waitMs = deps.approvalWaitMs ?? 5 * 60_000;
  const pollMs = deps.approvalPollMs ?? 1_000;
  const started = Date.now();
  for (;;) {
    const result = await callTool(deps.gateway, { ...call, via: "runtime" });
    if (result.outcome !== "needs_approval") return result;
    if (Date.now() - started >= waitMs) return result;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, pollMs);
      call.signal.addEventListener(
        "abort",
        () => {
          clearTimeout(timer);
          reject(call.signal.reason);
        },
        { once: true },
      );
    });
  }
}

async function runAgent(
  deps: RunDeps,
  run: TaskRunContext,
  token: string,
  spend: RunSpend,
  totals: Totals,
  signal: AbortSignal,
  origin: { correlationId: string; causationId: string },
  log: Logger,
): Promise<{ summary: string; output: Record<string, unknown>; plan: PlanExtension | null }> {
  const { task } = run;
  const role = roleDefinition(task.role);
  if (!role) throw new Error(`Role ${task.role} is not in the registry`);
  const scope = taskScope(task.inputs, role.tools);
  const tools: ToolSpec[] = scope
    .map((name) => toolsByName.get(name))
    .filter((t) => t !== undefined)
    .map((t) => ({ name: t.name, description: t.description, inputSchema: toolJsonSchema(t) }));
  const { provider, model } = deps.providers.resolve(role.model);
  // A task may ask for a different call size (within its spend ceiling): the founder's lever, and
  // how tests make an agent ask for more than it may spend.
  const script = Array.isArray(task.inputs.script)
    ? (task.inputs.script as Array<Record<string, unknown>>)
    : [];
  const scriptedMax = script.find((s) => typeof s.maxTokens === "number")?.maxTokens as number | undefined;
  const requested = typeof task.inputs.maxTokens === "number" ? task.inputs.maxTokens : scriptedMax;
  const maxTokens = Math.max(1, Math.min(Math.floor(requested ?? role.maxTokens), 100_000_000));
  const messages: ChatMessage[] = [{ role: "user", content: taskPrompt(run) }];
  let text = "";
  let toolCallsMade = 0;
  const denials: string[] = [];
  for (let turn = 0; turn < Math.max(role.maxTurns, 1); turn++) {
    const metered = await meteredModelCall({
      db: deps.db,
      meter: deps.meter,
      ctx: {
        actor: { type: "agent", id: run.runId },
        correlationId: origin.correlationId,
        causationId: origin.causationId,
        clock: deps.clock,
      },
      clock: deps.clock,
      run: spend,
      seq: turn,
      provider,
      model,
      request: {
        model,
        system: role.prompt,
        messages,
        tools,
        maxTokens,
        signal,
        timeoutMs: Math.min(task.timeoutMs, 600_000),
      },
    });
    totals.costMinor += metered.costMinor;
    totals.inputTokens += metered.result.usage.inputTokens;
    totals.outputTokens += metered.result.usage.outputTokens;
    text = metered.result.text;
    if (metered.result.toolCalls.length === 0) break;
    messages.push({ role: "assistant", content: text, toolCalls: metered.result.toolCalls });
    for (const call of metered.result.toolCalls) {
      toolCallsMade++;
      const result = await callToolWaiting(deps, {
        token,
        tool: call.name,
        args: call.arguments,
        signal,
        correlationId: origin.correlationId,
        causationId: origin.causationId,
      });
      if (result.outcome === "needs_approval") {
        throw new Error(
          `Still waiting for approval ${result.approvalId} of ${call.name}; the next attempt picks it up`,
        );
      }
      if (result.outcome === "denied") denials.push(`${call.name}: ${result.reason}`);
      log.debug({ tool: call.name, outcome: result.outcome }, "tool call");
      messages.push({
        role: "tool",
        toolCallId: call.id,
        name: call.name,
        content:
          result.outcome === "completed"
            ? JSON.stringify(result.output).slice(0, 20_000)
            : result.outcome === "denied"
              ? `Refused (${result.reason}): ${result.message}`
              : `Failed: ${result.message}`,
        isError: result.outcome !== "completed",
      });
    }
  }
  if (task.level === "L1") {
    const plan = parsePlan(text);
    return {
      summary: `Planned ${plan.tasks.length} task${plan.tasks.length === 1 ? "" : "s"}${plan.replaces ? ` replacing ${plan.replaces.taskId}` : ""}`,
      output: {
        plan: plan.tasks.map((t) => ({
          key: t.key,
          title: t.title,
          role: t.role,
          dependsOn: t.dependsOn ?? [],
        })),
      },
      plan,
    };
  }
  return {
    summary: text.trim().length > 0 ? text.trim() : `Finished after ${toolCallsMade} tool calls`,
    output: { text, toolCalls: toolCallsMade, denials },
    plan: null,
  };
}

async function runL3(
  deps: RunDeps,
  run: TaskRunContext,
  token: string,
  signal: AbortSignal,
  origin: { correlationId: string; causationId: string },
): Promise<{ summary: string; output: Record<string, unknown>; plan: null }> {
  const { program, script, timeoutMs } = run.task.inputs as {
    program?: unknown;
    script?: unknown;
    timeoutMs?: unknown;
  };
  const result = await callTool(deps.gateway, {
    token,
    tool: "sandbox.run",
    args: {
      program,
      script,
      timeoutMs: typeof timeoutMs === "number" ? timeoutMs : Math.min(run.task.timeoutMs, 600_000),
    },
    via: "runtime",
    signal,
    correlationId: origin.correlationId,
    causationId: origin.causationId,
  });
  if (result.outcome === "denied")
    throw new SandboxFailure(`sandbox.run was refused (${result.reason}): ${result.message}`, false);
  if (result.outcome === "needs_approval") throw new SandboxFailure(result.message, true);
  if (result.outcome === "failed") throw new SandboxFailure(result.message, true);
  const outcome = String(result.output.outcome);
  if (outcome !== "ok") {
    if (signal.aborted) throw signal.reason;
    throw new SandboxFailure(
      `The program ended ${outcome}: ${String(result.output.stderr ?? "").slice(0, 500)}`,
      outcome !== "killed",
    );
  }
  return { summary: result.summary, output: result.output, plan: null };
}

import { assertNotPaused } from "@/server/contexts/control/api";
import { type Clock, systemClock } from "@/server/shared/clock";
import { type Db, type Tx, withTransaction } from "@/server/shared/db";
import { isAppError } from "@/server/shared/errors";
import { appendEvents, type CommandContext } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { costOf, maxCallCost, priceOf } from "../pricing";
import {
  type CompletionRequest,
  type CompletionResult,
  type ModelProvider,
  ProviderError,
  type Usage,
} from "../providers/types";
import type { SpendMeter } from "./meter";

/** Who is spending: one run of one task, with the ceiling its workload token carries. */
export type RunSpend = {
  portfolioId: string;
  ventureId: string;
  taskId: string;
  runId: string;
  currency: string;
  spendCeilingMinor: bigint;
};

/** A call refused before it started (AGENT-004): recorded as agents.model_call_refused. */
export class SpendRefusal extends Error {
  override readonly name = "SpendRefusal";
  constructor(
    readonly reason: "spend_ceiling" | "budget" | "paused",
    message: string,
  ) {
    super(message);
  }
}

export type MeteredResult = {
  callId: string;
  result: CompletionResult;
  costMinor: bigint;
  maxCostMinor: bigint;
};

/** What a run has spent or holds so far: settled calls at their cost, open ones at their hold. */
export async function runSpentMinor(db: Db | Tx, runId: string): Promise<bigint> {
  const [row] = await db.$queryRawUnsafe<Array<{ spent: bigint }>>(
    `SELECT (coalesce((SELECT sum(CASE WHEN status = 'held' THEN max_cost_minor ELSE cost_minor END)
                         FROM agent_model_calls WHERE run_id = $1), 0)
           + coalesce((SELECT sum(cost_minor) FROM agent_tool_calls WHERE run_id = $1), 0))::bigint AS spent`,
    runId,
  );
  return row?.spent ?? 0n;
}

/**
 * One metered model call (AGENT-004):
 * 1. one transaction: refuse while paused, refuse when the run's spend plus the call's maximum
 *    cost would pass the spend ceiling, hold the maximum cost on the venture's budget (the ledger
 *    refuses what the budget cannot cover), record the call as held;
 * 2. the call itself, outside any transaction, with the run's abort signal;
 * 3. one transaction: post the actual cost (never more than held), release the rest, record
 *    tokens and cost (agents.model_call_completed).
 * A refused call never reaches the provider and is recorded as agents.model_call_refused. A crash
 * between 1 and 3 leaves a hold that expires and is released by the ledger's expiry job; nothing is
 * ever posted twice (a hold posts at most once).
 */
export async function meteredModelCall(options: {
  db: Db;
  meter: SpendMeter;
  ctx: CommandContext;
  clock?: Clock;
  run: RunSpend;
  seq: number;
  provider: ModelProvider;
  model: string;
  request: CompletionRequest;
}): Promise<MeteredResult> {
  const clock = options.clock ?? systemClock;
  const { run, request } = options;
  const callId = newId("modelCall");
  const price = priceOf(options.provider.name, options.model);
  const maxCostMinor = maxCallCost(price, request);
  const startedAt = clock.now();
  // The fields every event about this call carries.
  const callFields = {
    callId,
    ventureId: run.ventureId,
    taskId: run.taskId,
    runId: run.runId,
    seq: options.seq,
    provider: options.provider.name,
    model: options.model,
  };
  const holdExpiresAt = new Date(startedAt.getTime() + request.timeoutMs + 10 * 60_000);

  try {
    await withTransaction(options.db, async (tx) => {
      try {
        await assertNotPaused(tx, "A model call");
      } catch (error) {
        if (isAppError(error) && error.code === "UNPROCESSABLE")
          throw new SpendRefusal("paused", error.message);
        throw error;
      }
      const spent = await runSpentMinor(tx, run.runId);
      if (spent + maxCostMinor > run.spendCeilingMinor) {
        throw new SpendRefusal(
          "spend_ceiling",
          `A call of up to ${maxCostMinor} ${run.currency} minor units would take run ${run.runId} to ${spent + maxCostMinor}, past its spend ceiling of ${run.spendCeilingMinor}`,
        );
      }
      try {
        await options.meter.reserve(tx, options.ctx, {
          holdId: callId,
          ventureId: run.ventureId,
          currency: run.currency,
          category: "models",
          amountMinor: maxCostMinor,
          expiresAt: holdExpiresAt,
          memo: `model call ${callId} of task ${run.taskId}`,
        });
      } catch (error) {
        if (isAppError(error) && (error.code === "UNPROCESSABLE" || error.code === "NOT_FOUND")) {
          throw new SpendRefusal(
            "budget",
            `Venture ${run.ventureId} cannot hold ${maxCostMinor} ${run.currency} minor units for this call: ${error.message}`,
          );
        }
        throw error;
      }
      await tx.$executeRawUnsafe(
        `INSERT INTO agent_model_calls (id, portfolio_id, venture_id, task_id, run_id, seq, provider, model, status,
                                        max_cost_minor, hold_id, started_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'held', $9, $1, $10)`,
        callId,
        run.portfolioId,
        run.ventureId,
        run.taskId,
        run.runId,
        options.seq,
        options.provider.name,
        options.model,
        maxCostMinor,
        startedAt,
      );
    });
  } catch (error) {
    if (error instanceof SpendRefusal) {
      // The reservation rolled back; the refusal is recorded on its own.
      await withTransaction(options.db, async (tx) => {
        await appendEvents(tx, options.ctx, [
          {
            type: "agents.model_call_refused",
            stream: { type: "model_call", id: callId },
            expectedVersion: 0,
            portfolioId: run.portfolioId,
            payload: {
              ...callFields,
              maxCostMinor: maxCostMinor.toString(),
              currency: run.currency,
              reason: error.reason,
              message: error.message,
            },
          },
        ]);
        await tx.$executeRawUnsafe(
          `INSERT INTO agent_model_calls (id, portfolio_id, venture_id, task_id, run_id, seq, provider, model, status,
                                          max_cost_minor, error, started_at, finished_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'refused', $9, $10, $11, $11)`,
          callId,
          run.portfolioId,
          run.ventureId,
          run.taskId,
          run.runId,
          options.seq,
          options.provider.name,
          options.model,
          maxCostMinor,
          error.message,
          startedAt,
        );
      });
    }
    throw error;
  }

  let result: CompletionResult | null = null;
  let failure: ProviderError | null = null;
  try {
    result = await options.provider.complete({ ...request, model: options.model });
  } catch (error) {
    failure =
      error instanceof ProviderError
        ? error
        : new ProviderError("bad_response", `The provider failed: ${String(error)}`, { cause: error });
  }
  const usage: Usage = result?.usage ?? failure?.options.usage ?? { inputTokens: 0, outputTokens: 0 };
  const actual = costOf(price, usage);
  // The hold is the most that may be posted: usage beyond the estimate is recorded, not charged.
  const costMinor = actual > maxCostMinor ? maxCostMinor : actual;
  const status = failure
    ? failure.kind === "aborted"
      ? "aborted"
      : failure.kind === "timeout"
        ? "timeout"
        : "error"
    : "ok";
  const finishedAt = clock.now();
  await withTransaction(options.db, async (tx) => {
    await options.meter.settle(tx, options.ctx, { holdId: callId, amountMinor: costMinor });
    await appendEvents(tx, options.ctx, [
      {
        type: "agents.model_call_completed",
        stream: { type: "model_call", id: callId },
        expectedVersion: 0,
        portfolioId: run.portfolioId,
        payload: {
          ...callFields,
          status,
          inputTokens: usage.inputTokens,
          outputTokens: usage.outputTokens,
          maxCostMinor: maxCostMinor.toString(),
          costMinor: costMinor.toString(),
          currency: run.currency,
          holdId: callId,
          durationMs: Math.max(0, finishedAt.getTime() - startedAt.getTime()),
          error: failure
            ? failure.message.slice(0, 1_000)
            : actual > maxCostMinor
              ? `usage cost ${actual} exceeded the hold`
              : null,
        },
      },
    ]);
    await tx.$executeRawUnsafe(
      `UPDATE agent_model_calls SET status = $2, cost_minor = $3, input_tokens = $4, output_tokens = $5, error = $6,
              finished_at = $7 WHERE id = $1`,
      callId,
      status,
      costMinor,
      usage.inputTokens,
      usage.outputTokens,
      failure?.message.slice(0, 1_000) ?? null,
      finishedAt,
    );
  });
  if (failure) throw failure;
  return { callId, result: result!, costMinor, maxCostMinor };
}

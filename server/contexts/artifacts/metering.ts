// Paid provider calls (ARTIF-003): each one is a policy-checked, metered spend, the way the agents
// context meters model calls (ADR 0009), reusing its ledger meter and price table:
// 1. one transaction: refuse while paused; decide the spend with the portfolio's treasury policy
//    (category model_inference, the provider as counterparty, the venture's allowlist and freezes)
//    and refuse anything but "approve"; hold the call's maximum cost on the venture's budget (the
//    ledger refuses what the budget cannot hold); record the call as held;
// 2. the call, outside any transaction;
// 3. one transaction: post the actual cost (never more than held), release the rest, record it
//    (artifacts.provider_call_completed, with the policy decision).
// A refused call never reaches the provider: artifacts.provider_call_refused, and the provider
// chain moves on to its next provider.
import { ledgerMeter, ProviderError, type SpendMeter } from "@/server/contexts/agents/api";
import { lockControlState } from "@/server/contexts/control/api";
import { checkMoneyIntent, type PolicyPrincipal } from "@/server/contexts/policy/api";
import { counterpartyAllowlist, listFreezes } from "@/server/contexts/treasury/intents/api";
import { type Clock, systemClock } from "@/server/shared/clock";
import { type Db, withTransaction } from "@/server/shared/db";
import { isAppError } from "@/server/shared/errors";
import type { PolicyDecisionRecord } from "@/server/shared/events/catalog/policy";
import { appendEvents, type CommandContext } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import type { NodeRequest } from "./nodes";
import type { ArtifactProvider, CallOptions, ProviderResult, ProviderUsage } from "./providers/types";

export type BuildSpend = {
  portfolioId: string;
  ventureId: string;
  artifactId: string;
  buildId: string;
  currency: string;
  /** Who asked for the build: the principal the treasury policy decides for. */
  requester: PolicyPrincipal;
};

export class SpendRefused extends Error {
  override readonly name = "SpendRefused";
  constructor(
    readonly reason: "policy" | "budget" | "paused",
    message: string,
  ) {
    super(message);
  }
}

function usageOf(error: unknown): ProviderUsage {
  const usage = error instanceof ProviderError ? error.options.usage : undefined;
  return { inputTokens: usage?.inputTokens ?? 0, outputTokens: usage?.outputTokens ?? 0, images: 0 };
}

export async function meteredProviderCall(options: {
  db: Db;
  ctx: CommandContext;
  spend: BuildSpend;
  nodeId: string;
  provider: ArtifactProvider;
  request: NodeRequest;
  requestHash: string;
  call: CallOptions;
  meter?: SpendMeter;
  clock?: Clock;
}): Promise<ProviderResult> {
  const { spend, provider } = options;
  const meter = options.meter ?? ledgerMeter;
  const clock = options.clock ?? systemClock;
  const callId = newId("artifactCall");
  const maxCostMinor = provider.maxCostMinor(options.request);
  const startedAt = clock.now();
  const fields = {
    callId,
    artifactId: spend.artifactId,
    ventureId: spend.ventureId,
    buildId: spend.buildId,
    nodeId: options.nodeId,
    modality: provider.modality,
    provider: provider.name,
    model: provider.model,
  };
  let decision: PolicyDecisionRecord | null = null;
  try {
    await withTransaction(options.db, async (tx) => {
      const control = await lockControlState(tx);
      if (control.state === "paused")
        throw new SpendRefused("paused", "The kill-switch is engaged: no paid calls");
      const freezes = (await listFreezes({ db: tx, portfolioId: spend.portfolioId })).filter(
        (f) => f.ventureId === null || f.ventureId === spend.ventureId,
      );
      decision = await checkMoneyIntent({
        db: tx,
        requester: spend.requester,
        intent: {
          intentId: callId,
          portfolioId: spend.portfolioId,
          ventureId: spend.ventureId,
          amountMinor: maxCostMinor,
          currency: spend.currency,
          category: "model_inference",
          counterpartyId: provider.name,
        },
        counterpartyAllowlist: await counterpartyAllowlist(tx, spend.ventureId),
        frozen: freezes.length > 0,
        paused: false,
      });
      if (decision.outcome !== "approve") {
        throw new SpendRefused(
          "policy",
          `The treasury policy answered ${decision.outcome} for ${maxCostMinor} ${spend.currency} minor units to ${provider.name}: ${decision.reasons.join("; ") || "no policy permits it"}`,
        );
      }
      try {
        await meter.reserve(tx, options.ctx, {
          holdId: callId,
          ventureId: spend.ventureId,
          currency: spend.currency,
          category: "models",
          amountMinor: maxCostMinor,
          expiresAt: new Date(startedAt.getTime() + options.call.timeoutMs + 10 * 60_000),
          memo: `artifact provider call ${callId} of build ${spend.buildId}`,
        });
      } catch (error) {
        if (isAppError(error) && (error.code === "UNPROCESSABLE" || error.code === "NOT_FOUND")) {
          throw new SpendRefused(
            "budget",
            `Venture ${spend.ventureId} cannot hold ${maxCostMinor} ${spend.currency} minor units: ${error.message}`,
          );
        }
        throw error;
      }
      await tx.$executeRawUnsafe(
        `INSERT INTO artifact_provider_calls (id, portfolio_id, venture_id, artifact_id, build_id, node_id, provider, model,
                                              status, max_cost_minor, hold_id, started_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'held', $9, $1, $10)`,
        callId,
        spend.portfolioId,
        spend.ventureId,
        spend.artifactId,
        spend.buildId,
        options.nodeId,
        provider.name,
        provider.model,
        maxCostMinor,
        startedAt,
      );
    });
  } catch (error) {
    if (error instanceof SpendRefused) {
      await withTransaction(options.db, async (tx) => {
        await appendEvents(tx, options.ctx, [
          {
            type: "artifacts.provider_call_refused",
            stream: { type: "artifact_call", id: callId },
            expectedVersion: 0,
            portfolioId: spend.portfolioId,
            payload: {
              ...fields,
              maxCostMinor: maxCostMinor.toString(),
              currency: spend.currency,
              reason: error.reason,
              message: error.message.slice(0, 1_000),
              decision,
            },
          },
        ]);
        await tx.$executeRawUnsafe(
          `INSERT INTO artifact_provider_calls (id, portfolio_id, venture_id, artifact_id, build_id, node_id, provider, model,
                                                status, max_cost_minor, error, started_at, finished_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'refused', $9, $10, $11, $11)`,
          callId,
          spend.portfolioId,
          spend.ventureId,
          spend.artifactId,
          spend.buildId,
          options.nodeId,
          provider.name,
          provider.model,
          maxCostMinor,
          error.message.slice(0, 1_000),
          startedAt,
        );
      });
    }
    throw error;
  }

  let result: ProviderResult | null = null;
  let failure: unknown = null;
  try {
    result = await provider.call(options.request, options.call);
  } catch (error) {
    failure = error;
  }
  const usage = result?.usage ?? usageOf(failure);
  const actual = provider.costMinor(usage);
  const costMinor = actual > maxCostMinor ? maxCostMinor : actual;
  const kind = failure instanceof ProviderError ? failure.kind : failure ? "bad_response" : null;
  const status =
    kind === null ? "ok" : kind === "timeout" ? "timeout" : kind === "aborted" ? "aborted" : "error";
  const message = failure
    ? (failure instanceof Error ? failure.message : String(failure)).slice(0, 1_000)
    : null;
  const finishedAt = clock.now();
  await withTransaction(options.db, async (tx) => {
    await meter.settle(tx, options.ctx, { holdId: callId, amountMinor: costMinor });
    await appendEvents(tx, options.ctx, [
      {
        type: "artifacts.provider_call_completed",
        stream: { type: "artifact_call", id: callId },
        expectedVersion: 0,
        portfolioId: spend.portfolioId,
        payload: {
          ...fields,
          requestHash: options.requestHash,
          status,
          maxCostMinor: maxCostMinor.toString(),
          costMinor: costMinor.toString(),
          currency: spend.currency,
          durationMs: Math.max(0, finishedAt.getTime() - startedAt.getTime()),
          error: message,
          decision: decision!,
        },
      },
    ]);
    await tx.$executeRawUnsafe(
      "UPDATE artifact_provider_calls SET status = $2, cost_minor = $3, error = $4, finished_at = $5 WHERE id = $1",
      callId,
      status,
      costMinor,
      message,
      finishedAt,
    );
  });
  if (failure) throw failure;
  return result!;
}

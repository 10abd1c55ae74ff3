// What a run's budget increase became (ADR 0017), applied by the orchestrator's consumers of
// treasury.intent_decided and treasury.intent_expired inside the harness transaction (the inbox
// makes a redelivered event a no-op; the run's status makes a second apply one too):
// - approved (by the second approver; the allocation settled in that same transaction) → the
//   venture's concurrency rises to the playbook's target, as orchestration.venture_limits_set on
//   the venture's stream (the event and projection the dispatcher already honours), and the run
//   records orchestration.scale_up_concurrency_raised;
// - denied or expired → the run ends with orchestration.scale_up_run_ended; concurrency unchanged.
// Any other intent is not a run's, and nothing happens.
import type { Tx } from "@/server/shared/db";
import { invariant } from "@/server/shared/errors";
import { appendEvents, type CommandContext, type NewEvent } from "@/server/shared/events/store";
import { notifyScheduler } from "../create-tasks";
import { ventureStream } from "../task-store";
import { raisedConcurrency } from "./playbook-rules";
import { lockRunByIntent, runStream } from "./playbook-store";

export type IntentOutcome =
  | { intentId: string; status: "approved" }
  | { intentId: string; status: "denied" | "expired"; reason: string };

export type AppliedOutcome =
  | { runId: string; ventureId: string; status: "concurrency_raised"; before: number; after: number }
  | { runId: string; ventureId: string; status: "denied" | "expired" }
  | null;

export async function applyScaleUpIntentOutcome(
  tx: Tx,
  ctx: CommandContext,
  outcome: IntentOutcome,
): Promise<AppliedOutcome> {
  const run = await lockRunByIntent(tx, outcome.intentId);
  if (!run) return null;
  // Only a run still going on moves; an ended one was applied before (or denied at firing).
  if (run.status !== "waiting_approval" && run.status !== "approved") return null;

  if (outcome.status !== "approved") {
    await appendEvents(tx, ctx, [
      {
        type: "orchestration.scale_up_run_ended",
        stream: runStream(run.id),
        expectedVersion: run.version,
        portfolioId: run.portfolioId,
        payload: {
          runId: run.id,
          ventureId: run.ventureId,
          intentId: run.intentId,
          status: outcome.status,
          reason: outcome.reason,
        },
      },
    ]);
    await tx.$executeRawUnsafe(
      `UPDATE scale_up_playbook_runs SET status = $2, reason = $3, decided_at = now(), version = version + 1
        WHERE id = $1`,
      run.id,
      outcome.status,
      outcome.reason || null,
    );
    return { runId: run.id, ventureId: run.ventureId, status: outcome.status };
  }

  const [venture] = await tx.$queryRawUnsafe<
    Array<{ id: string; portfolio_id: string; concurrency_limit: number; weight: number; version: number }>
  >(
    "SELECT id, portfolio_id, concurrency_limit, weight, version FROM ventures WHERE id = $1 FOR UPDATE",
    run.ventureId,
  );
  invariant(venture, `the venture ${run.ventureId} of scale-up run ${run.id} exists`);
  const raise = raisedConcurrency(venture.concurrency_limit, run.concurrencyTarget);
  const events: NewEvent[] = [];
  if (raise.changed) {
    // The same event and projection as a founder setting the limit (ORCH-005): the dispatch pass
    // reads ventures.concurrency_limit, and the NOTIFY below wakes it to use the new slots at once.
    events.push({
      type: "orchestration.venture_limits_set",
      stream: ventureStream(venture.id),
      expectedVersion: venture.version,
      portfolioId: venture.portfolio_id,
      payload: { ventureId: venture.id, concurrencyLimit: raise.after, weight: venture.weight },
    });
  }
  events.push({
    type: "orchestration.scale_up_concurrency_raised",
    stream: runStream(run.id),
    expectedVersion: run.version,
    portfolioId: run.portfolioId,
    payload: {
      runId: run.id,
      ventureId: run.ventureId,
      intentId: run.intentId,
      concurrencyBefore: venture.concurrency_limit,
      concurrencyAfter: raise.after,
      changed: raise.changed,
    },
  });
  await appendEvents(tx, ctx, events);
  if (raise.changed) {
    await tx.$executeRawUnsafe(
      "UPDATE ventures SET concurrency_limit = $2, version = version + 1 WHERE id = $1",
      venture.id,
      raise.after,
    );
    await notifyScheduler(tx);
  }
  await tx.$executeRawUnsafe(
    `UPDATE scale_up_playbook_runs SET status = 'concurrency_raised', concurrency_after = $2,
            decided_at = coalesce(decided_at, now()), raised_at = now(), version = version + 1
      WHERE id = $1`,
    run.id,
    raise.after,
  );
  return {
    runId: run.id,
    ventureId: run.ventureId,
    status: "concurrency_raised",
    before: venture.concurrency_limit,
    after: raise.after,
  };
}

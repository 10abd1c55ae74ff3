// Firing scale-up playbooks (ORCH-008, UJ-6, ADR 0017): the orchestrator checks each armed
// playbook's trailing revenue and, once it reaches the threshold, fires that version ONCE — one
// transaction that requests the budget increase as an allocation (a money intent through the
// treasury policy, whose guardrail asks for two distinct approvers), records the run and its event.
//
// Exactly once across repeated checks, restarts and several orchestrators: the transaction takes
// the playbook's advisory lock, then looks for a run of this version; a second checker waits for
// the first to commit and then finds its run. The unique (venture, version) index on runs and the
// allocation's idempotency key (scale-up:<venture>:v<version>) are two more backstops.
import { lockControlState } from "@/server/contexts/control/api";
import { loadPrincipal } from "@/server/contexts/identity/principal";
import { scaleUpPlaybookCounterparty } from "@/server/contexts/policy/api";
import { allocateBudget } from "@/server/contexts/treasury/funding/api";
import { type Db, withTransaction } from "@/server/shared/db";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents, type NewEvent } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { trailingRevenue } from "./get-playbook";
import { budgetIncreaseReason, decideFire, type FireDecision, runStatusAtFiring } from "./playbook-rules";
import { lockPlaybook, readPlaybook, runStream } from "./playbook-store";

export type FireOutcome =
  | { ventureId: string; fired: true; runId: string; intentId: string; status: string }
  | {
      ventureId: string;
      fired: false;
      reason: (FireDecision & { fire: false })["reason"] | "no_playbook" | "no_requester";
    };

type Options = { db: Db; actor: EventActor; correlationId: string; now?: Date };

/** Checks one venture's playbook and fires it if it is due; see the file comment. */
export async function firePlaybookIfDue(options: Options & { ventureId: string }): Promise<FireOutcome> {
  const { db, ventureId } = options;
  return withTransaction(db, async (tx) => {
    await lockPlaybook(tx, ventureId);
    const playbook = await readPlaybook(tx, ventureId);
    if (!playbook) return { ventureId, fired: false, reason: "no_playbook" };
    const [runs] = await tx.$queryRawUnsafe<Array<{ this_version: boolean; waiting: boolean }>>(
      `SELECT coalesce(bool_or(playbook_version = $2), false) AS this_version,
              coalesce(bool_or(status IN ('waiting_approval', 'approved')), false) AS waiting
         FROM scale_up_playbook_runs WHERE venture_id = $1`,
      ventureId,
      playbook.version,
    );
    // SPEC invariant 6: nothing new starts while paused. Read in this transaction (FOR SHARE), so a
    // pause that commits first is seen; one that comes later waits for this firing to commit.
    const control = await lockControlState(tx);
    const [venture] = await tx.$queryRawUnsafe<Array<{ concurrency_limit: number }>>(
      "SELECT concurrency_limit FROM ventures WHERE id = $1",
      ventureId,
    );
    const revenue = await trailingRevenue(db, {
      portfolioId: playbook.portfolioId,
      ventureId,
      currency: playbook.currency,
      windowDays: playbook.windowDays,
      now: options.now,
    });
    const decision = decideFire({
      enabled: playbook.enabled,
      firedThisVersion: runs?.this_version ?? false,
      runWaiting: runs?.waiting ?? false,
      paused: control.state === "paused",
      trailingRevenueMinor: revenue,
      revenueThresholdMinor: playbook.revenueThresholdMinor,
    });
    if (!decision.fire) return { ventureId, fired: false, reason: decision.reason };

    // The increase is requested for the person who configured this version, with their role now:
    // separation of duties then keeps them from approving it. Someone who has left the portfolio
    // requests nothing; saving the playbook again names the person saving it.
    const principal = await loadPrincipal(tx, playbook.configuredBy);
    const membership = principal?.memberships.find((m) => m.portfolioId === playbook.portfolioId);
    if (!membership) return { ventureId, fired: false, reason: "no_requester" };

    const run = {
      runId: newId("scaleUpRun"),
      playbookVersion: playbook.version,
      trailingRevenueMinor: revenue,
      revenueThresholdMinor: playbook.revenueThresholdMinor,
      windowDays: playbook.windowDays,
      currency: playbook.currency,
      budgetIncreaseMinor: playbook.budgetIncreaseMinor,
      concurrencyBefore: venture?.concurrency_limit ?? 0,
      concurrencyTarget: playbook.concurrencyTarget,
    };
    const allocation = await allocateBudget({
      db,
      actor: options.actor,
      correlationId: options.correlationId,
      requester: {
        kind: "user",
        userId: playbook.configuredBy,
        portfolioId: playbook.portfolioId,
        portfolioRole: membership.role,
      },
      counterparty: scaleUpPlaybookCounterparty,
      input: {
        portfolioId: playbook.portfolioId,
        ventureId,
        amountMinor: playbook.budgetIncreaseMinor.toString(),
        currency: playbook.currency,
        reason: budgetIncreaseReason(run),
        idempotencyKey: `scale-up:${ventureId}:v${playbook.version}`,
      },
    });
    const status = runStatusAtFiring(allocation.status);
    const reason = status === "denied" ? allocation.intent.reasons.join("; ") || "denied by policy" : null;
    const events: NewEvent[] = [
      {
        type: "orchestration.scale_up_playbook_fired",
        stream: runStream(run.runId),
        expectedVersion: 0,
        portfolioId: playbook.portfolioId,
        payload: {
          runId: run.runId,
          ventureId,
          playbookVersion: run.playbookVersion,
          intentId: allocation.intent.id,
          intentStatus: allocation.status,
          currency: run.currency,
          trailingRevenueMinor: revenue.toString(),
          revenueThresholdMinor: run.revenueThresholdMinor.toString(),
          windowDays: run.windowDays,
          budgetIncreaseMinor: run.budgetIncreaseMinor.toString(),
          concurrencyBefore: run.concurrencyBefore,
          concurrencyTarget: run.concurrencyTarget,
          requestedBy: playbook.configuredBy,
        },
      },
    ];
    // Denied at once (frozen, the treasury short of cash, a policy limit): the run ends here and the
    // venture's concurrency stays as it is.
    if (status === "denied") {
      events.push({
        type: "orchestration.scale_up_run_ended",
        stream: runStream(run.runId),
        expectedVersion: 1,
        portfolioId: playbook.portfolioId,
        payload: {
          runId: run.runId,
          ventureId,
          intentId: allocation.intent.id,
          status,
          reason: reason ?? "",
        },
      });
    }
    await appendEvents(tx, options, events);
    await tx.$executeRawUnsafe(
      `INSERT INTO scale_up_playbook_runs (id, venture_id, portfolio_id, playbook_version, status, intent_id,
         currency, trailing_revenue_minor, revenue_threshold_minor, window_days, budget_increase_minor,
         concurrency_before, concurrency_target, requested_by, reason, fired_at, decided_at, version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::bigint, $9::bigint, $10, $11::bigint, $12, $13, $14, $15, now(),
         CASE WHEN $5 = 'waiting_approval' THEN NULL ELSE now() END, $16)`,
      run.runId,
      ventureId,
      playbook.portfolioId,
      run.playbookVersion,
      status,
      allocation.intent.id,
      run.currency,
      revenue,
      run.revenueThresholdMinor,
      run.windowDays,
      run.budgetIncreaseMinor,
      run.concurrencyBefore,
      run.concurrencyTarget,
      playbook.configuredBy,
      reason,
      events.length,
    );
    return { ventureId, fired: true, runId: run.runId, intentId: allocation.intent.id, status };
  });
}

/**
 * Checks the armed playbooks (enabled, current version not fired yet) — all of them, or those of
 * the given ventures — and fires the ones that are due. Each venture in its own transaction, so one
 * failure does not hold up the others; the caller logs what failed and the next check retries it.
 */
export async function checkScaleUpPlaybooks(
  options: Options & { ventureIds?: readonly string[] | null; limit?: number },
): Promise<{ outcomes: FireOutcome[]; failures: Array<{ ventureId: string; error: string }> }> {
  const armed = await options.db.$queryRawUnsafe<Array<{ venture_id: string }>>(
    `SELECT p.venture_id FROM scale_up_playbooks p
      WHERE p.enabled AND ($1::text[] IS NULL OR p.venture_id = ANY($1::text[]))
        AND NOT EXISTS (SELECT 1 FROM scale_up_playbook_runs r
                         WHERE r.venture_id = p.venture_id AND r.playbook_version = p.version)
      ORDER BY p.updated_at LIMIT $2`,
    options.ventureIds ? [...options.ventureIds] : null,
    Math.min(Math.max(options.limit ?? 500, 1), 5_000),
  );
  const outcomes: FireOutcome[] = [];
  const failures: Array<{ ventureId: string; error: string }> = [];
  for (const { venture_id: ventureId } of armed) {
    try {
      outcomes.push(await firePlaybookIfDue({ ...options, ventureId }));
    } catch (error) {
      failures.push({ ventureId, error: error instanceof Error ? error.message : String(error) });
    }
  }
  return { outcomes, failures };
}

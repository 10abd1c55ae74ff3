// Configuring a venture's scale-up playbook (ORCH-008, ADR 0017): validate (bad input names every
// field and writes nothing), then in one transaction append orchestration.scale_up_playbook_configured
// as the next version of the playbook's stream and upsert its row. A save that changes nothing
// records nothing. Each version fires at most once, so saving a changed playbook arms it again;
// disabling and enabling it again is how to re-arm the same numbers.
import { type Db, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { getScaleUpPlaybook, type ScaleUpPlaybookView } from "./get-playbook";
import { parsePlaybookInput, type StoredPlaybook, samePlaybook } from "./playbook-rules";
import { lockPlaybook, playbookStream, readPlaybook } from "./playbook-store";

export async function setScaleUpPlaybook(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  ventureId: string;
  /** The person saving it: the budget increase is requested for them, so they cannot approve it. */
  configuredBy: string;
  input: Record<string, unknown>;
}): Promise<{ changed: boolean; playbook: ScaleUpPlaybookView }> {
  const parsed = parsePlaybookInput(options.input);
  const changed = await withTransaction(options.db, async (tx) => {
    const [venture] = await tx.$queryRawUnsafe<Array<{ portfolio_id: string; currency: string }>>(
      "SELECT portfolio_id, currency FROM ventures WHERE id = $1",
      options.ventureId,
    );
    if (!venture) {
      throw new AppError("NOT_FOUND", `Venture ${options.ventureId} not found`, {
        fields: { ventureId: "unknown venture" },
      });
    }
    // The scheduler spends the venture's budget in its own currency, and revenue is compared in the
    // same one: a playbook in another currency would raise nothing the venture can use.
    if (parsed.currency !== null && parsed.currency !== venture.currency) {
      throw new AppError(
        "BAD_REQUEST",
        `Invalid scale-up playbook: currency: must be the venture's currency, ${venture.currency}`,
        { fields: { currency: `must be the venture's currency, ${venture.currency}` } },
      );
    }
    const next: StoredPlaybook = { ...parsed, currency: venture.currency };
    await lockPlaybook(tx, options.ventureId);
    const current = await readPlaybook(tx, options.ventureId);
    if (current && samePlaybook(current, next)) return false;
    const version = (current?.version ?? 0) + 1;
    await appendEvents(tx, options, [
      {
        type: "orchestration.scale_up_playbook_configured",
        stream: playbookStream(options.ventureId),
        expectedVersion: current?.version ?? 0,
        portfolioId: venture.portfolio_id,
        payload: {
          ventureId: options.ventureId,
          version,
          enabled: next.enabled,
          currency: next.currency,
          revenueThresholdMinor: next.revenueThresholdMinor.toString(),
          windowDays: next.windowDays,
          budgetIncreaseMinor: next.budgetIncreaseMinor.toString(),
          concurrencyTarget: next.concurrencyTarget,
          configuredBy: options.configuredBy,
        },
      },
    ]);
    await tx.$executeRawUnsafe(
      `INSERT INTO scale_up_playbooks (venture_id, portfolio_id, enabled, currency, revenue_threshold_minor,
         window_days, budget_increase_minor, concurrency_target, configured_by, version, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5::bigint, $6, $7::bigint, $8, $9, $10, now(), now())
       ON CONFLICT (venture_id) DO UPDATE SET enabled = EXCLUDED.enabled, currency = EXCLUDED.currency,
         revenue_threshold_minor = EXCLUDED.revenue_threshold_minor, window_days = EXCLUDED.window_days,
         budget_increase_minor = EXCLUDED.budget_increase_minor,
         concurrency_target = EXCLUDED.concurrency_target, configured_by = EXCLUDED.configured_by,
         version = EXCLUDED.version, updated_at = now()`,
      options.ventureId,
      venture.portfolio_id,
      next.enabled,
      next.currency,
      next.revenueThresholdMinor,
      next.windowDays,
      next.budgetIncreaseMinor,
      next.concurrencyTarget,
      options.configuredBy,
      version,
    );
    return true;
  });
  return {
    changed,
    playbook: (await getScaleUpPlaybook({ db: options.db, ventureId: options.ventureId }))!,
  };
}

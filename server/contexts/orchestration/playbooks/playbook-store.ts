// Rows of the scale-up playbook projections (ADR 0017) and the streams their events go to.
import type { Db, Tx } from "@/server/shared/db";
import type { ScaleUpRunStatus, StoredPlaybook } from "./playbook-rules";

export const playbookStream = (ventureId: string) => ({ type: "scale_up_playbook", id: ventureId });
export const runStream = (runId: string) => ({ type: "scale_up_run", id: runId });

/**
 * Serializes everything that decides about one venture's playbook (saving it, firing it) across
 * transactions and processes; held to commit. The first save of a playbook has no row to lock yet,
 * so the lock is advisory, keyed by the venture.
 */
export async function lockPlaybook(tx: Tx, ventureId: string): Promise<void> {
  await tx.$executeRawUnsafe(
    "SELECT pg_advisory_xact_lock(hashtextextended($1, 17))",
    `scale-up:${ventureId}`,
  );
}

export type PlaybookRow = StoredPlaybook & {
  ventureId: string;
  portfolioId: string;
  configuredBy: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
};

export async function readPlaybook(db: Db | Tx, ventureId: string): Promise<PlaybookRow | null> {
  const [row] = await db.$queryRawUnsafe<PlaybookRow[]>(
    `SELECT venture_id AS "ventureId", portfolio_id AS "portfolioId", enabled, currency::text AS currency,
            revenue_threshold_minor AS "revenueThresholdMinor", window_days AS "windowDays",
            budget_increase_minor AS "budgetIncreaseMinor", concurrency_target AS "concurrencyTarget",
            configured_by AS "configuredBy", version, created_at AS "createdAt", updated_at AS "updatedAt"
       FROM scale_up_playbooks WHERE venture_id = $1`,
    ventureId,
  );
  return row ?? null;
}

export type RunRow = {
  id: string;
  ventureId: string;
  portfolioId: string;
  playbookVersion: number;
  status: ScaleUpRunStatus;
  intentId: string;
  currency: string;
  trailingRevenueMinor: bigint;
  revenueThresholdMinor: bigint;
  windowDays: number;
  budgetIncreaseMinor: bigint;
  concurrencyBefore: number;
  concurrencyTarget: number;
  concurrencyAfter: number | null;
  requestedBy: string;
  reason: string | null;
  firedAt: Date;
  decidedAt: Date | null;
  raisedAt: Date | null;
  version: number;
};

const runColumns = `id, venture_id AS "ventureId", portfolio_id AS "portfolioId",
  playbook_version AS "playbookVersion", status, intent_id AS "intentId", currency::text AS currency,
  trailing_revenue_minor AS "trailingRevenueMinor", revenue_threshold_minor AS "revenueThresholdMinor",
  window_days AS "windowDays", budget_increase_minor AS "budgetIncreaseMinor",
  concurrency_before AS "concurrencyBefore", concurrency_target AS "concurrencyTarget",
  concurrency_after AS "concurrencyAfter", requested_by AS "requestedBy", reason, fired_at AS "firedAt",
  decided_at AS "decidedAt", raised_at AS "raisedAt", version`;

/** A venture's runs, newest first. */
export async function readRuns(db: Db | Tx, ventureId: string, limit: number): Promise<RunRow[]> {
  return db.$queryRawUnsafe<RunRow[]>(
    `SELECT ${runColumns} FROM scale_up_playbook_runs WHERE venture_id = $1
      ORDER BY fired_at DESC, id DESC LIMIT $2`,
    ventureId,
    limit,
  );
}

/** The run behind a money intent, locked for the caller's transaction; null for any other intent. */
export async function lockRunByIntent(tx: Tx, intentId: string): Promise<RunRow | null> {
  const [row] = await tx.$queryRawUnsafe<RunRow[]>(
    `SELECT ${runColumns} FROM scale_up_playbook_runs WHERE intent_id = $1 FOR UPDATE`,
    intentId,
  );
  return row ?? null;
}

// Reading a venture's scale-up playbook (ADR 0017): its configuration, where it stands (trailing
// revenue against the threshold, fired or armed, the venture's concurrency now) and its runs with
// their approvals. A run's state is read from its own row once it has ended, and from its money
// intent while it goes on, so the approvals count is the inbox's own (1 of 2 the moment it is given).
import { getIntent } from "@/server/contexts/treasury/intents/api";
import { profitAndLoss } from "@/server/contexts/treasury/reports/api";
import type { Db, Tx } from "@/server/shared/db";
import {
  defaultWindowDays,
  describeRun,
  playbookApprovalsRequired,
  type ScaleUpRunStatus,
  trailingWindow,
} from "./playbook-rules";
import { type PlaybookRow, type RunRow, readPlaybook, readRuns } from "./playbook-store";

export type ScaleUpRunView = {
  runId: string;
  ventureId: string;
  playbookVersion: number;
  status: ScaleUpRunStatus;
  /** A sentence for people: "Waiting for approvals: 1 of 2", "Concurrency raised 2 → 6", … */
  summary: string;
  intentId: string;
  intentStatus: string;
  approvalsGiven: number;
  approvalsRequired: number;
  approvers: string[];
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
};

export type ScaleUpPlaybookView = {
  ventureId: string;
  portfolioId: string;
  /** The venture's currency: the playbook's, and the one its revenue is counted in. */
  currency: string;
  /** How many of the venture's tasks may run at once now (ORCH-005). */
  currentConcurrency: number;
  playbook: {
    enabled: boolean;
    currency: string;
    revenueThresholdMinor: bigint;
    windowDays: number;
    budgetIncreaseMinor: bigint;
    concurrencyTarget: number;
    configuredBy: string;
    version: number;
    updatedAt: Date;
  } | null;
  /** Revenue over the playbook's window (30 days when none is configured), from the ledger. */
  trailingRevenueMinor: bigint;
  windowDays: number;
  thresholdPassed: boolean;
  /** The current version has fired (it never fires again). */
  fired: boolean;
  /** Enabled and not fired yet: it fires when trailing revenue reaches the threshold. */
  armed: boolean;
  latestRun: ScaleUpRunView | null;
};

/** Revenue posted to the venture's revenue account over the trailing window, in its currency. */
export async function trailingRevenue(
  db: Db,
  options: { portfolioId: string; ventureId: string; currency: string; windowDays: number; now?: Date },
): Promise<bigint> {
  const window = trailingWindow(options.now ?? new Date(), options.windowDays);
  const report = await profitAndLoss({
    db,
    portfolioId: options.portfolioId,
    ventureId: options.ventureId,
    from: window.from,
    to: window.to,
    now: options.now,
  });
  return report.ventures
    .filter((line) => line.ventureId === options.ventureId && line.currency === options.currency)
    .reduce((sum, line) => sum + line.revenueMinor, 0n);
}

async function toRunView(db: Db | Tx, row: RunRow): Promise<ScaleUpRunView> {
  const intent = await getIntent({ db, portfolioId: row.portfolioId, intentId: row.intentId });
  const intentStatus = intent?.status ?? "unknown";
  // A run that has ended says so itself; one that goes on follows its intent, which may be a step
  // ahead of the consumer that records the outcome here.
  let status: ScaleUpRunStatus = row.status;
  if (row.status === "waiting_approval" || row.status === "approved") {
    if (intentStatus === "pending_approval") status = "waiting_approval";
    else if (intentStatus === "approved" || intentStatus === "settled") status = "approved";
    else if (intentStatus === "expired") status = "expired";
    else if (intentStatus !== "unknown") status = "denied";
  }
  const approvalsRequired = Math.max(intent?.approvalsRequired ?? 0, playbookApprovalsRequired);
  const approvers = intent?.approvals.map((a) => a.approverId) ?? [];
  const reason = row.reason ?? (status === "denied" && intent ? intent.reasons.join("; ") || null : null);
  return {
    runId: row.id,
    ventureId: row.ventureId,
    playbookVersion: row.playbookVersion,
    status,
    summary: describeRun({
      status,
      approvalsGiven: approvers.length,
      approvalsRequired,
      concurrencyBefore: row.concurrencyBefore,
      concurrencyAfter: row.concurrencyAfter,
      reason,
    }),
    intentId: row.intentId,
    intentStatus,
    approvalsGiven: approvers.length,
    approvalsRequired,
    approvers,
    currency: row.currency,
    trailingRevenueMinor: row.trailingRevenueMinor,
    revenueThresholdMinor: row.revenueThresholdMinor,
    windowDays: row.windowDays,
    budgetIncreaseMinor: row.budgetIncreaseMinor,
    concurrencyBefore: row.concurrencyBefore,
    concurrencyTarget: row.concurrencyTarget,
    concurrencyAfter: row.concurrencyAfter,
    requestedBy: row.requestedBy,
    reason,
    firedAt: row.firedAt,
    decidedAt: row.decidedAt,
    raisedAt: row.raisedAt,
  };
}

/** A venture's runs, newest first (at most `limit`, 20 by default). */
export async function listScaleUpRuns(options: {
  db: Db;
  ventureId: string;
  limit?: number;
}): Promise<ScaleUpRunView[]> {
  const limit = Math.min(Math.max(options.limit ?? 20, 1), 100);
  const rows = await readRuns(options.db, options.ventureId, limit);
  const views: ScaleUpRunView[] = [];
  for (const row of rows) views.push(await toRunView(options.db, row));
  return views;
}

function playbookOf(row: PlaybookRow): NonNullable<ScaleUpPlaybookView["playbook"]> {
  return {
    enabled: row.enabled,
    currency: row.currency,
    revenueThresholdMinor: row.revenueThresholdMinor,
    windowDays: row.windowDays,
    budgetIncreaseMinor: row.budgetIncreaseMinor,
    concurrencyTarget: row.concurrencyTarget,
    configuredBy: row.configuredBy,
    version: row.version,
    updatedAt: row.updatedAt,
  };
}

/** The playbook view of a venture; null when there is no such venture. */
export async function getScaleUpPlaybook(options: {
  db: Db;
  ventureId: string;
  now?: Date;
}): Promise<ScaleUpPlaybookView | null> {
  const [venture] = await options.db.$queryRawUnsafe<
    Array<{ portfolio_id: string; currency: string; concurrency_limit: number }>
  >("SELECT portfolio_id, currency, concurrency_limit FROM ventures WHERE id = $1", options.ventureId);
  if (!venture) return null;
  const row = await readPlaybook(options.db, options.ventureId);
  const windowDays = row?.windowDays ?? defaultWindowDays;
  const revenue = await trailingRevenue(options.db, {
    portfolioId: venture.portfolio_id,
    ventureId: options.ventureId,
    currency: venture.currency,
    windowDays,
    now: options.now,
  });
  const [latest] = await readRuns(options.db, options.ventureId, 1);
  const fired = Boolean(row && latest && latest.playbookVersion === row.version);
  return {
    ventureId: options.ventureId,
    portfolioId: venture.portfolio_id,
    currency: venture.currency,
    currentConcurrency: venture.concurrency_limit,
    playbook: row ? playbookOf(row) : null,
    trailingRevenueMinor: revenue,
    windowDays,
    thresholdPassed: row ? revenue >= row.revenueThresholdMinor : false,
    fired,
    armed: Boolean(row?.enabled) && !fired,
    latestRun: latest ? await toRunView(options.db, latest) : null,
  };
}

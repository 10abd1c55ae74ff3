// A reconciliation run (TREAS-009): one portfolio's ledger against one rail's statement for a
// period, read on both sides by the rail's own timestamps (a payout is in the period its rail
// transaction is, whenever we recorded it). Every mismatch becomes a finding for the finance
// controllers; with freezeOnBreak, the ventures they belong to are frozen (the whole portfolio
// when a mismatch belongs to no venture). The run is an event with its result and a row for the UI.
// The statement is read before the transaction (an HTTP call must not hold locks); a statement
// that cannot be read makes a failed run, which freezes nothing.
import { raiseFinding } from "@/server/contexts/compliance/findings";
import { type Db, type Tx, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import { appendEvents, type CommandContext } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { freezesFor, freezeTreasuryAutomatically } from "../intents/api";
import { anomalyActor } from "./auto-freeze";
import type { RailName, StatementLine } from "./rail";
import { type LedgerItem, type Mismatch, matchStatement } from "./reconcile-rules";
import { getReconciliation, type ReconciliationView } from "./reconciliation-view";
import type { Rails } from "./settings";

/** Findings raised per run at most; the run itself lists every mismatch count. */
const maxFindingsPerRun = 50;
const maxPeriodMs = 366 * 86_400_000;

export type ReconciliationRequest = CommandContext & {
  db: Db;
  rails: Rails;
  portfolioId: string;
  rail: RailName;
  from: Date;
  to: Date;
  trigger: "schedule" | "request";
  requestedBy: string;
  freezeOnBreak?: boolean;
};

export async function runReconciliation(options: ReconciliationRequest): Promise<ReconciliationView> {
  const fields: Record<string, string> = {};
  if (!(options.from instanceof Date) || Number.isNaN(options.from.getTime())) fields.from = "a date-time";
  if (!(options.to instanceof Date) || Number.isNaN(options.to.getTime())) fields.to = "a date-time";
  if (!fields.from && !fields.to) {
    if (options.to.getTime() <= options.from.getTime()) fields.to = "after from";
    else if (options.to.getTime() - options.from.getTime() > maxPeriodMs)
      fields.from = "at most 366 days before to";
  }
  if (!options.rails.configured().includes(options.rail))
    fields.rail = `not configured here (${options.rails.configured().join(", ")})`;
  if (Object.keys(fields).length > 0) {
    const summary = Object.entries(fields)
      .map(([f, m]) => `${f}: ${m}`)
      .join("; ");
    throw new AppError("BAD_REQUEST", `Invalid reconciliation: ${summary}`, { fields });
  }
  const startedAt = new Date();
  let lines: StatementLine[] = [];
  let error: string | null = null;
  try {
    lines = await options.rails.get(options.rail).listStatement({
      portfolioId: options.portfolioId,
      from: options.from,
      to: options.to,
    });
  } catch (cause) {
    error = `The ${options.rail} statement could not be read: ${cause instanceof Error ? cause.message : String(cause)}`;
  }

  const runId = newId("reconciliation");
  await withTransaction(options.db, async (tx) => {
    const [portfolio] = await tx.$queryRawUnsafe<Array<{ id: string }>>(
      "SELECT id FROM portfolios WHERE id = $1",
      options.portfolioId,
    );
    if (!portfolio) throw new AppError("NOT_FOUND", `Portfolio ${options.portfolioId} not found`);
    const { items, submitting } = error
      ? { items: [], submitting: new Set<string>() }
      : await ledgerSide(tx, options);
    const result = error
      ? { matched: 0, inTransit: 0, mismatches: [] as Mismatch[] }
      : matchStatement(items, lines, { submittingIntentIds: submitting });
    const status = error ? "failed" : result.mismatches.length > 0 ? "breaks" : "balanced";

    const findingIds: string[] = [];
    const findingOf = new Map<string, string>();
    for (const mismatch of result.mismatches.slice(0, maxFindingsPerRun)) {
      const { findingId } = await raiseFinding(
        tx,
        { ...options, actor: anomalyActor },
        {
          severity: "high",
          kind: "treasury.reconciliation_break",
          title: `Reconciliation break (${options.rail}): ${mismatch.kind.replaceAll("_", " ")} ${mismatch.railReference}`,
          detail: mismatch.detail,
          owner: "finance_controller",
          portfolioId: options.portfolioId,
          // One break, one finding, however many runs see it (and not again once resolved).
          dedupeKey: `treasury.reconciliation_break:${options.portfolioId}:${options.rail}:${mismatch.railReference}:${mismatch.kind}`,
        },
      );
      findingIds.push(findingId);
      const target = mismatch.ventureId ?? "portfolio";
      if (!findingOf.has(target)) findingOf.set(target, findingId);
    }

    const frozen: string[] = [];
    if (status === "breaks" && (options.freezeOnBreak ?? true)) {
      for (const [target, findingId] of findingOf) {
        const ventureId = target === "portfolio" ? null : target;
        if (await alreadyFrozen(tx, options.portfolioId, ventureId)) continue;
        const count = result.mismatches.filter((m) => (m.ventureId ?? "portfolio") === target).length;
        const machine = { ...options, actor: anomalyActor };
        const venture = await ventureExists(tx, options.portfolioId, ventureId);
        await freezeTreasuryAutomatically(tx, machine, {
          portfolioId: options.portfolioId,
          ventureId: venture ? ventureId : null,
          reason: `Automatic freeze (reconciliation break): ${count} mismatch(es) between the ledger and the ${options.rail} statement, run ${runId}`,
        });
        await appendEvents(tx, machine, [
          {
            type: "treasury.anomaly_detected",
            stream: { type: "treasury_anomaly", id: `${findingId}@${Date.now()}` },
            expectedVersion: 0,
            portfolioId: options.portfolioId,
            payload: {
              portfolioId: options.portfolioId,
              ventureId: venture ? ventureId : null,
              kind: "reconciliation_break",
              detail: `${count} mismatch(es) in run ${runId}`,
              findingId,
              frozen: true,
            },
          },
        ]);
        frozen.push(venture && ventureId ? ventureId : `portfolio:${options.portfolioId}`);
      }
    }

    const mismatches = result.mismatches.map((m) => ({
      kind: m.kind,
      railReference: m.railReference,
      ventureId: m.ventureId,
      currency: m.currency,
      ledgerAmountMinor: m.ledgerAmountMinor?.toString() ?? null,
      railAmountMinor: m.railAmountMinor?.toString() ?? null,
      detail: m.detail,
    }));
    await appendEvents(tx, options, [
      {
        type: "treasury.reconciliation_completed",
        stream: { type: "treasury_reconciliation", id: runId },
        expectedVersion: 0,
        portfolioId: options.portfolioId,
        payload: {
          runId,
          portfolioId: options.portfolioId,
          rail: options.rail,
          from: options.from.toISOString(),
          to: options.to.toISOString(),
          status,
          matched: result.matched,
          inTransit: result.inTransit,
          mismatchCount: mismatches.length,
          mismatches: mismatches.slice(0, 100),
          findingIds,
          frozen,
          error,
          trigger: options.trigger,
        },
      },
    ]);
    await tx.$executeRawUnsafe(
      `INSERT INTO treasury_reconciliations
         (id, portfolio_id, rail, period_from, period_to, status, matched, in_transit, mismatch_count,
          mismatches, finding_ids, frozen, error, trigger, requested_by, started_at, finished_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::text[], $12::text[], $13, $14, $15, $16, now())`,
      runId,
      options.portfolioId,
      options.rail,
      options.from,
      options.to,
      status,
      result.matched,
      result.inTransit,
      mismatches.length,
      JSON.stringify(mismatches.slice(0, 1_000)),
      findingIds,
      frozen,
      error,
      options.trigger,
      options.requestedBy,
      startedAt,
    );
  });
  return (await getReconciliation({ db: options.db, portfolioId: options.portfolioId, runId }))!;
}

async function alreadyFrozen(tx: Tx, portfolioId: string, ventureId: string | null): Promise<boolean> {
  if (ventureId) return (await freezesFor(tx, portfolioId, ventureId)).length > 0;
  const [row] = await tx.$queryRawUnsafe<Array<{ id: string }>>(
    "SELECT id FROM treasury_freezes WHERE portfolio_id = $1 AND venture_id IS NULL",
    portfolioId,
  );
  return Boolean(row);
}

async function ventureExists(tx: Tx, portfolioId: string, ventureId: string | null): Promise<boolean> {
  if (!ventureId) return false;
  const [row] = await tx.$queryRawUnsafe<Array<{ id: string }>>(
    "SELECT id FROM ventures WHERE id = $1 AND portfolio_id = $2",
    ventureId,
    portfolioId,
  );
  return Boolean(row);
}

/** What the ledger says about the period: payouts by state with their posted amounts, and receipts. */
async function ledgerSide(
  tx: Tx,
  options: { portfolioId: string; rail: RailName; from: Date; to: Date },
): Promise<{ items: LedgerItem[]; submitting: Set<string> }> {
  const payouts = await tx.$queryRawUnsafe<
    Array<{
      reference: string;
      venture_id: string;
      currency: string;
      status: string;
      amount_minor: bigint;
      posted: bigint | null;
    }>
  >(
    `SELECT p.rail_reference AS reference, p.venture_id, p.currency, p.status, p.amount_minor,
            (SELECT sum(lp.amount_minor) FROM ledger_postings lp
              WHERE lp.entry_id IN (p.hold_id || ':post', p.hold_id || ':late-post') AND lp.amount_minor > 0)::bigint AS posted
       FROM treasury_payouts p
      WHERE p.portfolio_id = $1 AND p.rail = $2 AND p.rail_reference IS NOT NULL
        AND p.rail_created_at >= $3 AND p.rail_created_at < $4`,
    options.portfolioId,
    options.rail,
    options.from,
    options.to,
  );
  const receipts = await tx.$queryRawUnsafe<
    Array<{ reference: string; venture_id: string; currency: string; posted: bigint | null }>
  >(
    `SELECT r.rail_reference AS reference, r.venture_id, r.currency,
            (SELECT sum(lp.amount_minor) FROM ledger_postings lp
              WHERE lp.entry_id = r.entry_id AND lp.amount_minor > 0)::bigint AS posted
       FROM treasury_receipts r
      WHERE r.portfolio_id = $1 AND r.rail = $2 AND r.rail_created_at >= $3 AND r.rail_created_at < $4`,
    options.portfolioId,
    options.rail,
    options.from,
    options.to,
  );
  const submitting = await tx.$queryRawUnsafe<Array<{ intent_id: string }>>(
    "SELECT intent_id FROM treasury_payouts WHERE portfolio_id = $1 AND rail = $2 AND status = 'submitting'",
    options.portfolioId,
    options.rail,
  );
  const items: LedgerItem[] = [
    ...payouts.map(
      (p): LedgerItem => ({
        reference: p.reference,
        ventureId: p.venture_id,
        currency: p.currency,
        amountMinor: p.status === "settled" ? -(p.posted ?? 0n) : -p.amount_minor,
        state: p.status === "settled" ? "settled" : p.status === "failed" ? "failed" : "in_transit",
      }),
    ),
    ...receipts.map(
      (r): LedgerItem => ({
        reference: r.reference,
        ventureId: r.venture_id,
        currency: r.currency,
        amountMinor: r.posted ?? 0n,
        state: "received",
      }),
    ),
  ];
  return { items, submitting: new Set(submitting.map((s) => s.intent_id)) };
}

// The treasury jobs of the orchestrator process (ARCHITECTURE: "treasury / compliance jobs … a
// worker of their own or the orchestrator"; ADR 0011):
// - consumer treasury-settlement: an approved money intent goes on the payout queue (in the
//   harness transaction, so a redelivered message queues it once) and wakes the payout loop;
// - consumer treasury-anomalies: each new intent runs the velocity check (auto-freeze);
// - the loop: submits due payouts to their rail and settles the ones the rail paid or failed,
//   only while the kill-switch gate is open; checks the burn of ventures whose payouts settled;
//   expires pending intents and every due ledger hold; reconciles portfolios on schedule.
// Both consumers run through the one harness, so they stop on a pause like every other consumer.
import { expireIntents } from "@/server/contexts/treasury/intents/api";
import { maxExpiriesPerCall } from "@/server/contexts/treasury/ledger/expire-holds";
import { recordHoldsExpired } from "@/server/contexts/treasury/ledger/record";
import {
  checkBurn,
  checkVelocity,
  claimPayout,
  createRails,
  defaultPayoutLimits,
  type PayoutLimits,
  processDuePayouts,
  type Rails,
  reconcileDuePortfolios,
  type TreasurySettings,
} from "@/server/contexts/treasury/rails/api";
import { type Db, withTransaction } from "@/server/shared/db";
import type { Logger } from "@/server/shared/logger";
import type { ConsumerSpec } from "../_runtime/consumer";
import { alwaysOpenGate, type DispatchGate } from "../_runtime/gate";
import { type Rounds, runRounds } from "../_runtime/rounds";
import type { Stoppable } from "../_runtime/worker";

export type TreasuryJobOptions = {
  settings: TreasurySettings;
  limits?: Partial<PayoutLimits>;
  /** The loop looks for due work at least this often. */
  tickMs?: number;
  /** Intents and holds are expired this often. */
  expiryEveryMs?: number;
  /** Scheduled reconciliation is looked for this often (runs are still at most one per interval). */
  reconcileCheckMs?: number;
  /** Payouts handled per round. */
  batchSize?: number;
};

export type TreasuryJobs = {
  consumers: ConsumerSpec[];
  loop(
    services: { db: Db; log: Logger },
    runtime: { gate: DispatchGate },
  ): Promise<Stoppable & { stats: Record<string, number>; rails: Rails }>;
};

const worker = { type: "worker" as const, id: "orchestrator" };

export function treasuryJobs(options: TreasuryJobOptions): TreasuryJobs {
  const { settings } = options;
  // The consumers and the loop share a process; a queued payout wakes the loop at once (the
  // queue row is the durable record, the wake-up only a hint).
  let rounds: Rounds | null = null;
  const signal = () => rounds?.wake();

  const settlement: ConsumerSpec = {
    name: "treasury-settlement",
    eventTypes: ["treasury.intent_decided"],
    concurrency: 8,
    maxDeliver: 10,
    async handle(envelope, { tx, afterCommit }) {
      if (envelope.type !== "treasury.intent_decided" || envelope.payload.status !== "approved") return;
      const claimed = await claimPayout(tx, {
        intentId: envelope.payload.intentId,
        rail: settings.defaultRail,
      });
      if (claimed === "queued") afterCommit(async () => signal());
    },
  };

  const anomalies: ConsumerSpec = {
    name: "treasury-anomalies",
    eventTypes: ["treasury.intent_created"],
    concurrency: 4,
    maxDeliver: 10,
    async handle(envelope, { tx, log }) {
      if (envelope.type !== "treasury.intent_created") return;
      const result = await checkVelocity(
        tx,
        { actor: worker, correlationId: envelope.correlationId, causationId: envelope.id },
        {
          settings: settings.velocity,
          portfolioId: envelope.payload.portfolioId,
          ventureId: envelope.payload.ventureId,
        },
      );
      if (result.frozen)
        log.warn(
          { ventureId: envelope.payload.ventureId, spike: result.spike },
          "velocity spike: venture frozen",
        );
    },
  };

  return {
    consumers: [settlement, anomalies],
    async loop(services, runtime) {
      const { db } = services;
      const log = services.log.child({ component: "treasury" });
      const gate = runtime.gate ?? alwaysOpenGate;
      const rails = createRails(db, settings);
      const limits = { ...defaultPayoutLimits, ...options.limits };
      const tickMs = options.tickMs ?? 1_000;
      const expiryEveryMs = options.expiryEveryMs ?? 1_000;
      const reconcileCheckMs = options.reconcileCheckMs ?? 30_000;
      const stats = {
        payoutsSubmitted: 0,
        payoutsSettled: 0,
        payoutsFailed: 0,
        intentsExpired: 0,
        holdsExpired: 0,
        reconciliations: 0,
        treasuryErrors: 0,
      };
      let lastExpiry = 0;
      let lastReconcile = 0;

      const round = async () => {
        // Paying and settling wait for the kill-switch; expiring and reconciling do not (they move
        // no money out, and a crisis is when breaks matter most).
        if (gate.isOpen()) {
          const done = await processDuePayouts(
            { db, rails, limits, log, actor: worker, correlationId: "cor_treasury_payouts" },
            { limit: options.batchSize ?? 50 },
          );
          stats.payoutsSubmitted += done.submitted;
          stats.payoutsSettled += done.settled;
          stats.payoutsFailed += done.failed;
          for (const ventureId of done.settledVentures) {
            const burn = await checkBurn(
              { db, actor: worker, correlationId: `cor_burn_${ventureId}` },
              { settings: settings.burn, ventureId },
            );
            if (burn.frozen) log.warn({ ventureId, spike: burn.spike }, "burn spike: venture frozen");
          }
        }
        if (Date.now() - lastExpiry >= expiryEveryMs) {
          lastExpiry = Date.now();
          for (;;) {
            const { expired } = await expireIntents({
              db,
              actor: worker,
              correlationId: "cor_treasury_expiry",
            });
            stats.intentsExpired += expired.length;
            if (expired.length === 0) break;
          }
          for (;;) {
            const { resolutions } = await withTransaction(db, (tx) =>
              recordHoldsExpired(
                tx,
                { actor: worker, correlationId: "cor_treasury_expiry" },
                { limit: maxExpiriesPerCall },
              ),
            );
            stats.holdsExpired += resolutions.length;
            if (resolutions.length < maxExpiriesPerCall) break;
          }
        }
        if (Date.now() - lastReconcile >= reconcileCheckMs) {
          lastReconcile = Date.now();
          stats.reconciliations += await reconcileDuePortfolios({
            db,
            rails,
            log,
            actor: worker,
            correlationId: "cor_treasury_reconcile",
            everySeconds: settings.reconcileEverySeconds,
          });
        }
      };

      const loop = runRounds({
        round,
        waitMs: () => tickMs,
        onError(error) {
          stats.treasuryErrors++;
          log.error({ err: error instanceof Error ? error.message : String(error) }, "treasury round failed");
        },
      });
      rounds = loop;

      return {
        stats,
        rails,
        async stop() {
          rounds = null;
          await loop.stop();
        },
      };
    },
  };
}

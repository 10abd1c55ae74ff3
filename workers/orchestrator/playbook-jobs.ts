// The scale-up playbook jobs of the orchestrator process (ORCH-008, UJ-6, ADR 0017), beside the
// treasury and compliance jobs:
// - the loop checks every armed playbook's trailing revenue every checkEveryMs and fires the due
//   ones (each version once: see fire-playbook.ts), only while the kill-switch gate is open;
// - consumer orchestrator-playbook-revenue: revenue received is a hint to check that venture now
//   (the loop's period is the fallback, so a lost hint only delays a firing);
// - consumers orchestrator-playbook-decisions / -expiries: a run's budget increase approved (the
//   venture's concurrency rises), denied or expired (the run ends), in the harness transaction.
// All three consumers go through the one harness: a redelivered event has its effect once, and
// they stop on a pause like every other consumer. Nothing is held only in memory: every check
// reads PostgreSQL, so a restarted orchestrator continues where the last one stopped.
import {
  applyScaleUpIntentOutcome,
  checkScaleUpPlaybooks,
} from "@/server/contexts/orchestration/playbooks/api";
import type { Db } from "@/server/shared/db";
import type { Logger } from "@/server/shared/logger";
import type { ConsumerSpec } from "../_runtime/consumer";
import { alwaysOpenGate, type DispatchGate } from "../_runtime/gate";
import { type Rounds, runRounds } from "../_runtime/rounds";
import type { Stoppable } from "../_runtime/worker";

export type PlaybookJobOptions = {
  /** Every armed playbook is checked at least this often. */
  checkEveryMs?: number;
  /** Playbooks checked per round at most. */
  batchSize?: number;
};

export type PlaybookJobs = {
  consumers: ConsumerSpec[];
  loop(
    services: { db: Db; log: Logger },
    runtime: { gate: DispatchGate },
  ): Promise<Stoppable & { stats: Record<string, number>; checkNow(ventureId?: string): void }>;
};

const worker = { type: "worker" as const, id: "orchestrator" };
/** Hints kept between rounds at most; beyond that the next full check covers them. */
const maxHints = 1_000;

export function playbookJobs(options: PlaybookJobOptions = {}): PlaybookJobs {
  // Ventures whose revenue changed since the last round: a hint only, the loop's period is the floor.
  const hinted = new Set<string>();
  let rounds: Rounds | null = null;
  const hint = (ventureId: string) => {
    if (hinted.size < maxHints) hinted.add(ventureId);
    rounds?.wake();
  };

  const revenue: ConsumerSpec = {
    name: "orchestrator-playbook-revenue",
    eventTypes: ["treasury.revenue_received"],
    concurrency: 4,
    maxDeliver: 5,
    async handle(envelope, { afterCommit }) {
      if (envelope.type !== "treasury.revenue_received") return;
      const { ventureId } = envelope.payload;
      afterCommit(async () => hint(ventureId));
    },
  };

  const decisions: ConsumerSpec = {
    name: "orchestrator-playbook-decisions",
    eventTypes: ["treasury.intent_decided"],
    concurrency: 4,
    maxDeliver: 10,
    async handle(envelope, { tx, log }) {
      if (envelope.type !== "treasury.intent_decided") return;
      const p = envelope.payload;
      if (p.status !== "approved" && p.status !== "denied") return;
      const applied = await applyScaleUpIntentOutcome(
        tx,
        { actor: worker, correlationId: envelope.correlationId, causationId: envelope.id },
        p.status === "approved"
          ? { intentId: p.intentId, status: "approved" }
          : {
              intentId: p.intentId,
              status: "denied",
              reason: [p.note, ...p.reasons].filter(Boolean).join("; "),
            },
      );
      if (applied) log.info(applied, "scale-up run decided");
    },
  };

  const expiries: ConsumerSpec = {
    name: "orchestrator-playbook-expiries",
    eventTypes: ["treasury.intent_expired"],
    concurrency: 2,
    maxDeliver: 10,
    async handle(envelope, { tx, log }) {
      if (envelope.type !== "treasury.intent_expired") return;
      const applied = await applyScaleUpIntentOutcome(
        tx,
        { actor: worker, correlationId: envelope.correlationId, causationId: envelope.id },
        {
          intentId: envelope.payload.intentId,
          status: "expired",
          reason: `Nobody approved it before ${envelope.payload.expiresAt}`,
        },
      );
      if (applied) log.info(applied, "scale-up run expired");
    },
  };

  return {
    consumers: [revenue, decisions, expiries],
    async loop(services, runtime) {
      const { db } = services;
      const log = services.log.child({ component: "playbooks" });
      const gate = runtime.gate ?? alwaysOpenGate;
      const checkEveryMs = options.checkEveryMs ?? 10_000;
      const stats = { playbookChecks: 0, playbooksFired: 0, playbookErrors: 0 };
      let lastFull = 0;
      let full = true;

      const round = async () => {
        // The kill-switch stops everything, playbooks included; the firing transaction checks the
        // state again itself, so a pause that lands between this check and the firing is honoured.
        if (!gate.isOpen()) return;
        const due = Date.now() - lastFull >= checkEveryMs || full;
        const ventureIds = due ? null : [...hinted];
        if (!due && ventureIds?.length === 0) return;
        if (due) {
          lastFull = Date.now();
          full = false;
        }
        hinted.clear();
        const { outcomes, failures } = await checkScaleUpPlaybooks({
          db,
          actor: worker,
          correlationId: "cor_scale_up_playbooks",
          ventureIds,
          limit: options.batchSize,
        });
        stats.playbookChecks += outcomes.length;
        for (const outcome of outcomes) {
          if (outcome.fired) {
            stats.playbooksFired++;
            log.info(outcome, "scale-up playbook fired");
          }
        }
        for (const failure of failures) {
          stats.playbookErrors++;
          log.error(failure, "scale-up playbook check failed");
        }
      };

      const loop = runRounds({
        round,
        // Hints that arrived during the round are checked at once; otherwise wait for the next
        // hint or a second. While the gate is closed there is nothing to do but wait.
        waitMs: () => (hinted.size > 0 && gate.isOpen() ? 0 : Math.min(checkEveryMs, 1_000)),
        onError(error) {
          stats.playbookErrors++;
          log.error({ err: error instanceof Error ? error.message : String(error) }, "playbook round failed");
        },
      });
      rounds = loop;

      return {
        stats,
        checkNow(ventureId?: string) {
          if (ventureId) hint(ventureId);
          else {
            full = true;
            loop.wake();
          }
        },
        async stop() {
          rounds = null;
          await loop.stop();
        },
      };
    },
  };
}

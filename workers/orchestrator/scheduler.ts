// The orchestrator's scheduler loop (ORCH-002…005): a dispatch pass whenever something may have
// become dispatchable, and the timers sweep (lost runs, dispatch and attempt deadlines, workstream
// completion) every sweepMs.
//
// Wake-ups: commands that make work dispatchable NOTIFY venture_schedule in their transaction, so
// the loop wakes when they commit; a tick covers notifications lost while the listener reconnects.
// The wake-up flag is the only thing held in memory, and it is only a hint: every pass reads its
// inputs from PostgreSQL, so a restarted orchestrator continues where the last one stopped.
import { runDispatchPass } from "@/server/contexts/orchestration/dispatch-pass";
import { sweepTimers } from "@/server/contexts/orchestration/sweep-timers";
import { type BudgetReader, ledgerBudgetReader } from "@/server/contexts/orchestration/venture-budget";
import { type Clock, systemClock } from "@/server/shared/clock";
import type { Db } from "@/server/shared/db";
import type { Logger } from "@/server/shared/logger";
import { alwaysOpenGate, type DispatchGate } from "../_runtime/gate";
import { listenForNotifications } from "../_runtime/pg-listener";
import type { Stoppable } from "../_runtime/worker";

export type SchedulerOptions = {
  /** Tasks in flight across all ventures at most (the fair-share pool). */
  globalConcurrency?: number;
  /** A pass at least this often without a notification. */
  tickMs?: number;
  /** How often timers are swept. */
  sweepMs?: number;
  /** A dispatched task no agent started within this is failed and retried. */
  dispatchTimeoutMs?: number;
  budgets?: BudgetReader;
  clock?: Clock;
};

export async function startScheduler(
  services: { db: Db; log: Logger; env: { DATABASE_URL: string } },
  options: SchedulerOptions = {},
  gate: DispatchGate = alwaysOpenGate,
): Promise<Stoppable & { stats: Record<string, number>; wake(): void }> {
  const { db } = services;
  const log = services.log.child({ component: "scheduler" });
  const tickMs = options.tickMs ?? 1_000;
  const sweepMs = options.sweepMs ?? 1_000;
  const budgets = options.budgets ?? ledgerBudgetReader;
  const stats = {
    passes: 0,
    dispatched: 0,
    waitingBudget: 0,
    passesLocked: 0,
    passesPaused: 0,
    leasesExpired: 0,
    dispatchesExpired: 0,
    deadlinesPassed: 0,
    workstreamsCompleted: 0,
    schedulerErrors: 0,
  };
  let stopped = false;
  let pending = true;
  let wake: (() => void) | null = null;
  const signal = () => {
    pending = true;
    wake?.();
  };

  // LISTEN needs a dedicated connection; the pool cannot hold one. It reconnects after a PostgreSQL
  // restart and wakes the loop once it listens again.
  const listener = await listenForNotifications({
    databaseUrl: services.env.DATABASE_URL,
    channel: "venture_schedule",
    log,
    onNotify: signal,
  });

  let lastSweep = 0;
  const loop = async () => {
    let failures = 0;
    while (!stopped) {
      if (!pending) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, tickMs);
        });
        wake = null;
      }
      if (stopped) break;
      pending = false;
      try {
        if (gate.isOpen()) {
          const pass = await runDispatchPass({
            db,
            budgets,
            globalConcurrency: options.globalConcurrency ?? 64,
            clock: options.clock,
          });
          stats.passes++;
          stats.dispatched += pass.dispatched.length;
          stats.waitingBudget += pass.waitingBudget.length;
          if (pass.skipped === "locked") {
            // Another orchestrator is mid-pass and may have read state from before our wake-up.
            stats.passesLocked++;
            setTimeout(signal, 20);
          } else if (pass.skipped === "paused") stats.passesPaused++;
        }
        const now = (options.clock ?? systemClock).now().getTime();
        if (now - lastSweep >= sweepMs) {
          lastSweep = now;
          const swept = await sweepTimers({
            db,
            clock: options.clock,
            dispatchTimeoutMs: options.dispatchTimeoutMs ?? 10 * 60_000,
          });
          stats.leasesExpired += swept.leasesExpired;
          stats.dispatchesExpired += swept.dispatchesExpired;
          stats.deadlinesPassed += swept.deadlinesPassed;
          stats.workstreamsCompleted += swept.workstreamsCompleted;
          if (swept.leasesExpired + swept.dispatchesExpired + swept.deadlinesPassed > 0) pending = true;
        }
        failures = 0;
      } catch (error) {
        stats.schedulerErrors++;
        failures++;
        const delay = Math.min(100 * 2 ** failures, 5_000);
        log.warn({ err: String(error), retryInMs: delay }, "scheduler pass failed");
        pending = true;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };
  const done = loop();

  return {
    stats,
    wake: signal,
    async stop() {
      stopped = true;
      wake?.();
      await done;
      await listener.stop();
    },
  };
}

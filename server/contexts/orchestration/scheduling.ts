// Fair, budget-aware scheduling, pure (ORCH-005). One dispatch pass decides which candidate tasks
// to dispatch now, given each venture's concurrency limit, weight and remaining budget, and the
// free global capacity:
// - within a venture, higher priority first, then older first;
// - a task whose estimated cost exceeds what is left of the venture's budget waits (waiting_budget)
//   and a cheaper task behind it may go ahead: budget never blocks the whole queue;
// - free global capacity goes to ventures in weighted max-min fair order: each free slot goes to the
//   venture with the fewest tasks in flight per unit of weight, so one venture with a thousand
//   ready tasks cannot starve another with one.

export type SchedulingVenture = {
  ventureId: string;
  concurrencyLimit: number;
  weight: number;
  /** Tasks of the venture dispatched or running now. */
  inFlight: number;
  /** What new work may still be estimated to cost: the ledger's available budget minus the
   * outstanding estimates of in-flight tasks. Zero when the budget is unknown (fail closed). */
  budgetMinor: bigint;
};

export type SchedulingCandidate = {
  taskId: string;
  ventureId: string;
  priority: number;
  /** Tie-break within a priority: lower goes first (creation order). */
  order: number;
  estimatedCostMinor: bigint;
  /** Already recorded as waiting for budget (no second event when it still waits). */
  waitingBudget: boolean;
};

export type DispatchPlan = {
  /** Task ids to dispatch, in the order the slots were granted. */
  dispatch: string[];
  /** Candidates that do not fit the venture's remaining budget, with what was left when they were met. */
  waitBudget: Array<{ taskId: string; availableMinor: bigint; newlyWaiting: boolean }>;
};

export function byPriority(a: SchedulingCandidate, b: SchedulingCandidate): number {
  return (
    b.priority - a.priority || a.order - b.order || (a.taskId < b.taskId ? -1 : a.taskId > b.taskId ? 1 : 0)
  );
}

/** a1/w1 < a2/w2 without division: shares compared exactly. */
function lessShare(a1: number, w1: number, a2: number, w2: number): boolean {
  return a1 * w2 < a2 * w1;
}

export function planDispatch(options: {
  ventures: readonly SchedulingVenture[];
  candidates: readonly SchedulingCandidate[];
  /** Free global capacity: how many more tasks may be in flight across all ventures. */
  globalFree: number;
}): DispatchPlan {
  const queues = new Map<string, SchedulingCandidate[]>();
  for (const candidate of options.candidates) {
    const queue = queues.get(candidate.ventureId) ?? [];
    queue.push(candidate);
    queues.set(candidate.ventureId, queue);
  }
  for (const queue of queues.values()) queue.sort(byPriority);

  type State = {
    venture: SchedulingVenture;
    assigned: number;
    budgetLeft: bigint;
    cursor: number;
    queue: SchedulingCandidate[];
  };
  const active: State[] = [];
  for (const venture of options.ventures) {
    const queue = queues.get(venture.ventureId);
    if (!queue || queue.length === 0) continue;
    active.push({ venture, assigned: 0, budgetLeft: venture.budgetMinor, cursor: 0, queue });
  }
  active.sort((a, b) => (a.venture.ventureId < b.venture.ventureId ? -1 : 1));

  const plan: DispatchPlan = { dispatch: [], waitBudget: [] };
  let free = Math.max(0, options.globalFree);
  const hasRoom = (s: State) =>
    s.cursor < s.queue.length &&
    s.venture.inFlight + s.assigned < s.venture.concurrencyLimit &&
    s.venture.weight > 0;

  while (free > 0) {
    let best: State | null = null;
    for (const s of active) {
      if (!hasRoom(s)) continue;
      if (
        !best ||
        lessShare(
          s.venture.inFlight + s.assigned,
          s.venture.weight,
          best.venture.inFlight + best.assigned,
          best.venture.weight,
        )
      ) {
        best = s;
      }
    }
    if (!best) break;
    // Grant the slot to the first candidate that fits what is left of the budget; the ones met on
    // the way do not fit and wait for budget.
    let granted = false;
    while (best.cursor < best.queue.length) {
      const candidate = best.queue[best.cursor++]!;
      if (candidate.estimatedCostMinor <= best.budgetLeft) {
        best.budgetLeft -= candidate.estimatedCostMinor;
        best.assigned++;
        plan.dispatch.push(candidate.taskId);
        granted = true;
        break;
      }
      plan.waitBudget.push({
        taskId: candidate.taskId,
        availableMinor: best.budgetLeft < 0n ? 0n : best.budgetLeft,
        newlyWaiting: !candidate.waitingBudget,
      });
    }
    if (granted) free--;
  }
  return plan;
}

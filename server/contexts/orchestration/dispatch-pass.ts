// One dispatch pass of the scheduler (ORCH-003, ORCH-005): read the dispatchable tasks and each
// venture's limits, budget and tasks in flight from PostgreSQL, decide with planDispatch (pure),
// and append task_dispatched (and task_waiting_budget) events with their projection updates in one
// transaction. The relay then publishes each task_dispatched on its level's work subject.
//
// Durable by construction: every input is read from PostgreSQL, so a restarted orchestrator's
// first pass continues where the last one stopped. Passes of several orchestrator processes
// serialize on an advisory lock (a pass that finds it taken does nothing and says so), which keeps
// concurrency limits exact without locking venture rows.
import { lockControlState } from "@/server/contexts/control/api";
import { type Clock, systemClock } from "@/server/shared/clock";
import { type Db, withTransaction } from "@/server/shared/db";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents, type NewEvent } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { planDispatch, type SchedulingCandidate, type SchedulingVenture } from "./scheduling";
import { taskStream } from "./task-store";
import type { BudgetReader } from "./venture-budget";

/** Key of the advisory lock that serializes dispatch passes across processes. */
const dispatchLockKey = 7_140_501;

export type DispatchPassOptions = {
  db: Db;
  budgets: BudgetReader;
  actor?: EventActor;
  clock?: Clock;
  /** Tasks in flight (dispatched or running) across all ventures at most. */
  globalConcurrency: number;
  /** Candidates read per venture beyond its free slots, so budget waits do not hide cheaper tasks. */
  lookahead?: number;
};

export type DispatchPassResult = {
  /** The pass did not run: another process holds the lock, or the kill-switch is engaged. */
  skipped: "locked" | "paused" | null;
  dispatched: string[];
  waitingBudget: string[];
};

type VentureRow = {
  id: string;
  portfolio_id: string;
  concurrency_limit: number;
  weight: number;
  currency: string;
  in_flight: number;
  reserved: bigint;
};

type CandidateRow = {
  id: string;
  venture_id: string;
  workstream_id: string;
  portfolio_id: string;
  priority: number;
  created_us: bigint;
  estimated_cost_minor: bigint;
  status: string;
  version: number;
  attempt: number;
  level: "L1" | "L2" | "L3";
  role: string;
  kind: "plan" | "replan" | "work";
  timeout_ms: number;
  correlation_id: string;
};

export async function runDispatchPass(options: DispatchPassOptions): Promise<DispatchPassResult> {
  const actor = options.actor ?? { type: "worker", id: "orchestrator" };
  const now = (options.clock ?? systemClock).now();
  const lookahead = options.lookahead ?? 16;
  return withTransaction(options.db, async (tx) => {
    const [lock] = await tx.$queryRawUnsafe<Array<{ ok: boolean }>>(
      "SELECT pg_try_advisory_xact_lock($1) AS ok",
      dispatchLockKey,
    );
    if (!lock?.ok) return { skipped: "locked", dispatched: [], waitingBudget: [] };
    // SPEC invariant 6: while paused nothing is dispatched. An unreadable state throws: fail closed.
    const control = await lockControlState(tx);
    if (control.state === "paused") return { skipped: "paused", dispatched: [], waitingBudget: [] };

    const [{ in_flight: globalInFlight } = { in_flight: 0 }] = await tx.$queryRawUnsafe<
      Array<{ in_flight: number }>
    >("SELECT count(*)::int AS in_flight FROM tasks WHERE status IN ('dispatched', 'running')");
    const globalFree = options.globalConcurrency - globalInFlight;
    if (globalFree <= 0) return { skipped: null, dispatched: [], waitingBudget: [] };

    const ventures = await tx.$queryRawUnsafe<VentureRow[]>(
      `WITH candidates AS (
         SELECT DISTINCT venture_id FROM tasks
          WHERE status IN ('ready', 'waiting_budget', 'retry_wait')
            AND (status <> 'retry_wait' OR next_attempt_at <= $1))
       SELECT v.id, v.portfolio_id, v.concurrency_limit, v.weight, v.currency,
              count(f.id)::int AS in_flight,
              coalesce(sum(greatest(f.estimated_cost_minor - f.cost_minor, 0)), 0)::bigint AS reserved
         FROM candidates c
         JOIN ventures v ON v.id = c.venture_id
         LEFT JOIN tasks f ON f.venture_id = v.id AND f.status IN ('dispatched', 'running')
        WHERE NOT v.paused AND v.status = 'ready'
        GROUP BY v.id`,
      now,
    );
    const open = ventures.filter((v) => v.concurrency_limit > v.in_flight);
    if (open.length === 0) return { skipped: null, dispatched: [], waitingBudget: [] };

    const budgets = await options.budgets.available(
      tx,
      open.map((v) => ({ ventureId: v.id, currency: v.currency })),
    );
    const schedVentures: SchedulingVenture[] = open.map((v) => {
      const available = budgets.get(v.id) ?? 0n;
      const left = (available ?? 0n) - v.reserved;
      return {
        ventureId: v.id,
        concurrencyLimit: v.concurrency_limit,
        weight: v.weight,
        inFlight: v.in_flight,
        budgetMinor: left > 0n ? left : 0n,
      };
    });
    const limits = new Map(open.map((v) => [v.id, v.concurrency_limit - v.in_flight + lookahead]));

    // Each venture's next candidates in dispatch order, LIMITed per venture: served by the partial
    // index tasks_dispatchable_idx, so a venture with thousands of ready tasks costs a few rows.
    const rows = await tx.$queryRawUnsafe<CandidateRow[]>(
      `SELECT c.* FROM unnest($2::text[], $3::int[]) AS l(venture_id, max_rank)
       CROSS JOIN LATERAL (
         SELECT t.id, t.venture_id, t.workstream_id, t.portfolio_id, t.priority,
                (extract(epoch FROM t.created_at) * 1000000)::bigint AS created_us,
                t.estimated_cost_minor, t.status, t.version, t.attempt, t.level, t.role, t.kind, t.timeout_ms,
                w.correlation_id
           FROM tasks t
           JOIN workstreams w ON w.id = t.workstream_id
          WHERE t.venture_id = l.venture_id
            AND t.status IN ('ready', 'waiting_budget', 'retry_wait')
            AND (t.status <> 'retry_wait' OR t.next_attempt_at <= $1)
            AND NOT w.paused
          ORDER BY t.priority DESC, t.created_at, t.id
          LIMIT l.max_rank) c`,
      now,
      [...limits.keys()],
      [...limits.values()],
    );
    if (rows.length === 0) return { skipped: null, dispatched: [], waitingBudget: [] };
    const firstCreated = rows.reduce(
      (min, r) => (r.created_us < min ? r.created_us : min),
      rows[0]!.created_us,
    );
    const candidates: SchedulingCandidate[] = rows.map((r) => ({
      taskId: r.id,
      ventureId: r.venture_id,
      priority: r.priority,
      order: Number(r.created_us - firstCreated),
      estimatedCostMinor: r.estimated_cost_minor,
      waitingBudget: r.status === "waiting_budget",
    }));
    const plan = planDispatch({ ventures: schedVentures, candidates, globalFree });
    const newlyWaiting = plan.waitBudget.filter((w) => w.newlyWaiting);
    if (plan.dispatch.length === 0 && newlyWaiting.length === 0) {
      return { skipped: null, dispatched: [], waitingBudget: [] };
    }

    // Lock what the plan touches; a task another command holds (being paused, cancelled) is skipped
    // and reconsidered next pass. Status is re-checked under the lock.
    const touched = [...plan.dispatch, ...newlyWaiting.map((w) => w.taskId)];
    const locked = await tx.$queryRawUnsafe<Array<{ id: string; status: string; version: number }>>(
      `SELECT id, status, version FROM tasks WHERE id = ANY($1::text[])
          AND status IN ('ready', 'waiting_budget', 'retry_wait') ORDER BY id FOR UPDATE SKIP LOCKED`,
      touched,
    );
    const lockedVersion = new Map(locked.map((r) => [r.id, r.version]));
    const byId = new Map(rows.map((r) => [r.id, r]));
    const currency = new Map(open.map((v) => [v.id, v.currency]));

    const dispatched: Array<{ row: CandidateRow; runId: string; attempt: number }> = [];
    const eventsByCorrelation = new Map<string, NewEvent[]>();
    const push = (correlationId: string, event: NewEvent) => {
      const list = eventsByCorrelation.get(correlationId) ?? [];
      list.push(event);
      eventsByCorrelation.set(correlationId, list);
    };
    for (const taskId of plan.dispatch) {
      const row = byId.get(taskId)!;
      if (lockedVersion.get(taskId) !== row.version) continue;
      const runId = newId("taskRun");
      const attempt = row.attempt + 1;
      dispatched.push({ row, runId, attempt });
      push(row.correlation_id, {
        type: "orchestration.task_dispatched",
        stream: taskStream(taskId),
        expectedVersion: row.version,
        portfolioId: row.portfolio_id,
        payload: {
          taskId,
          ventureId: row.venture_id,
          workstreamId: row.workstream_id,
          portfolioId: row.portfolio_id,
          runId,
          attempt,
          level: row.level,
          role: row.role,
          kind: row.kind,
          timeoutMs: row.timeout_ms,
        },
      });
    }
    const waiting: CandidateRow[] = [];
    for (const wait of newlyWaiting) {
      const row = byId.get(wait.taskId)!;
      if (lockedVersion.get(wait.taskId) !== row.version) continue;
      waiting.push(row);
      push(row.correlation_id, {
        type: "orchestration.task_waiting_budget",
        stream: taskStream(row.id),
        expectedVersion: row.version,
        portfolioId: row.portfolio_id,
        payload: {
          taskId: row.id,
          ventureId: row.venture_id,
          workstreamId: row.workstream_id,
          estimatedCostMinor: row.estimated_cost_minor.toString(),
          availableMinor: wait.availableMinor.toString(),
          currency: currency.get(row.venture_id) ?? "USD",
        },
      });
    }
    for (const [correlationId, events] of eventsByCorrelation) {
      await appendEvents(tx, { actor, correlationId, clock: options.clock }, events);
    }
    if (dispatched.length > 0) {
      await tx.$executeRawUnsafe(
        `UPDATE tasks SET status = 'dispatched', run_id = d.run_id, attempt = d.attempt, dispatched_at = $1,
                started_at = NULL, lease_expires_at = NULL, next_attempt_at = NULL, version = version + 1,
                updated_at = $1
           FROM unnest($2::text[], $3::text[], $4::int[]) AS d(id, run_id, attempt)
          WHERE tasks.id = d.id`,
        now,
        dispatched.map((d) => d.row.id),
        dispatched.map((d) => d.runId),
        dispatched.map((d) => d.attempt),
      );
    }
    if (waiting.length > 0) {
      await tx.$executeRawUnsafe(
        `UPDATE tasks SET status = 'waiting_budget', version = version + 1, updated_at = $1
          WHERE id = ANY($2::text[])`,
        now,
        waiting.map((w) => w.id),
      );
    }
    return {
      skipped: null,
      dispatched: dispatched.map((d) => d.row.id),
      waitingBudget: waiting.map((w) => w.id),
    };
  });
}

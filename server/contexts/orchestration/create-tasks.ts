// Writes new tasks of a workstream (submit, goal, planner extension): one task_created event each
// and the rows, inserted in bulk. Runs inside the caller's transaction; the caller appends these
// events together with its own in one appendEvents call.
import type { Tx } from "@/server/shared/db";
import type { NewEvent } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import type { TaskSpec } from "./task-specs";
import { taskStream } from "./task-store";

export type WorkstreamRef = { id: string; portfolioId: string; ventureId: string };

export type CreatedTasks = {
  idByKey: Map<string, string>;
  events: NewEvent[];
  /** Writes the rows; call after appendEvents so a refused append writes nothing. */
  write(tx: Tx, now: Date): Promise<void>;
};

/**
 * Plans the creation of `specs` in `workstream`. Dependencies name keys of the same submission or
 * ids of existing tasks; `succeededExisting` are the existing ones that already succeeded (they do
 * not hold the new task back).
 */
export function planTaskCreation(options: {
  workstream: WorkstreamRef;
  specs: readonly TaskSpec[];
  kind: "plan" | "replan" | "work";
  succeededExisting?: ReadonlySet<string>;
}): CreatedTasks {
  const { workstream, specs } = options;
  const idByKey = new Map(specs.map((spec) => [spec.key, newId("task")]));
  const succeeded = options.succeededExisting ?? new Set<string>();
  const rows = specs.map((spec) => {
    const dependsOn = spec.dependsOn.map((d) => idByKey.get(d) ?? d);
    const remainingDeps = dependsOn.filter((d) => !succeeded.has(d)).length;
    return { spec, id: idByKey.get(spec.key)!, dependsOn, remainingDeps };
  });
  const events: NewEvent[] = rows.map(({ spec, id, dependsOn }) => ({
    type: "orchestration.task_created",
    stream: taskStream(id),
    expectedVersion: 0,
    portfolioId: workstream.portfolioId,
    payload: {
      taskId: id,
      ventureId: workstream.ventureId,
      workstreamId: workstream.id,
      key: spec.key,
      title: spec.title,
      level: spec.level,
      role: spec.role,
      kind: options.kind,
      inputs: spec.inputs,
      dependsOn,
      estimatedCostMinor: spec.estimatedCostMinor.toString(),
      spendCeilingMinor: spec.spendCeilingMinor.toString(),
      priority: spec.priority,
      retry: {
        maxAttempts: spec.retry.maxAttempts,
        backoffMs: spec.retry.backoffMs,
        backoffMaxMs: spec.retry.backoffMaxMs,
        timeoutMs: spec.retry.timeoutMs,
        deadlineAt: spec.retry.deadlineAt?.toISOString() ?? null,
      },
    },
  }));
  return {
    idByKey,
    events,
    async write(tx, now) {
      await tx.$executeRawUnsafe(
        `INSERT INTO tasks (id, portfolio_id, venture_id, workstream_id, key, title, level, role, kind, inputs,
            estimated_cost_minor, spend_ceiling_minor, priority, status, attempt, max_attempts, backoff_ms,
            backoff_max_ms, timeout_ms, deadline_at, remaining_deps, version, created_at, updated_at)
         SELECT t.id, $2, $3, $4, t.key, t.title, t.level, t.role, $5, t.inputs::jsonb, t.estimated, t.ceiling,
                t.priority, CASE WHEN t.remaining = 0 THEN 'ready' ELSE 'pending' END, 0, t.max_attempts,
                t.backoff_ms, t.backoff_max_ms, t.timeout_ms, t.deadline_at, t.remaining, 1,
                $1::timestamptz + (t.ord * interval '1 microsecond'), $1::timestamptz
           FROM unnest($6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[],
                       $13::bigint[], $14::int[], $15::int[], $16::int[], $17::int[], $18::int[],
                       $19::timestamptz[], $20::int[])
                WITH ORDINALITY AS t(id, key, title, level, role, inputs, estimated, ceiling, priority,
                     max_attempts, backoff_ms, backoff_max_ms, timeout_ms, deadline_at, remaining, ord)`,
        now.toISOString(),
        workstream.portfolioId,
        workstream.ventureId,
        workstream.id,
        options.kind,
        rows.map((r) => r.id),
        rows.map((r) => r.spec.key),
        rows.map((r) => r.spec.title),
        rows.map((r) => r.spec.level),
        rows.map((r) => r.spec.role),
        rows.map((r) => JSON.stringify(r.spec.inputs)),
        rows.map((r) => r.spec.estimatedCostMinor.toString()),
        rows.map((r) => r.spec.spendCeilingMinor.toString()),
        rows.map((r) => r.spec.priority),
        rows.map((r) => r.spec.retry.maxAttempts),
        rows.map((r) => r.spec.retry.backoffMs),
        rows.map((r) => r.spec.retry.backoffMaxMs),
        rows.map((r) => r.spec.retry.timeoutMs),
        rows.map((r) => r.spec.retry.deadlineAt?.toISOString() ?? null),
        rows.map((r) => r.remainingDeps),
      );
      const edges = rows.flatMap((r) => r.dependsOn.map((d) => [r.id, d] as const));
      if (edges.length > 0) {
        await tx.$executeRawUnsafe(
          "INSERT INTO task_dependencies (task_id, depends_on_id) SELECT * FROM unnest($1::text[], $2::text[])",
          edges.map((e) => e[0]),
          edges.map((e) => e[1]),
        );
      }
    },
  };
}

/** Wakes the orchestrator's scheduler when the transaction commits (PostgreSQL delivers on commit). */
export async function notifyScheduler(tx: Tx): Promise<void> {
  await tx.$executeRawUnsafe("SELECT pg_notify('venture_schedule', '')");
}

import { type Clock, systemClock } from "@/server/shared/clock";
import { type Db, type Tx, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { notifyScheduler, planTaskCreation } from "./create-tasks";
import { normalizeTaskSpecs, type TaskSpec, type TaskSpecInput } from "./task-specs";
import { workstreamStream } from "./task-store";

export type SubmittedWorkstream = { workstreamId: string; taskIds: Record<string, string> };

/** The venture a submission targets, or NOT_FOUND naming the field; a sunset venture takes no work. */
export async function ventureForWork(tx: Tx, ventureId: string) {
  const venture = await tx.venture.findUnique({
    where: { id: ventureId },
    select: { id: true, portfolioId: true, stage: true },
  });
  if (!venture) {
    throw new AppError("NOT_FOUND", `Venture ${ventureId} not found`, {
      fields: { ventureId: "unknown venture" },
    });
  }
  if (venture.stage === "sunset") {
    throw new AppError("UNPROCESSABLE", `Venture ${ventureId} is sunset and takes no new work`, {
      reason: "venture_sunset",
    });
  }
  return venture;
}

/**
 * Creates a workstream from already-normalized specs: workstream_submitted plus one task_created
 * per task, the rows, and a wake-up for the scheduler, in the caller's transaction.
 */
export async function writeWorkstream(
  tx: Tx,
  ctx: { actor: EventActor; correlationId: string; clock?: Clock },
  options: {
    venture: { id: string; portfolioId: string };
    title: string;
    goal: string | null;
    origin: "goal" | "tasks";
    specs: readonly TaskSpec[];
    kind: "plan" | "work";
  },
): Promise<SubmittedWorkstream> {
  const now = (ctx.clock ?? systemClock).now();
  const workstreamId = newId("workstream");
  const workstream = {
    id: workstreamId,
    portfolioId: options.venture.portfolioId,
    ventureId: options.venture.id,
  };
  const created = planTaskCreation({ workstream, specs: options.specs, kind: options.kind });
  await appendEvents(tx, ctx, [
    {
      type: "orchestration.workstream_submitted",
      stream: workstreamStream(workstreamId),
      expectedVersion: 0,
      portfolioId: workstream.portfolioId,
      payload: {
        ventureId: workstream.ventureId,
        workstreamId,
        title: options.title,
        goal: options.goal,
        origin: options.origin,
        taskIds: [...created.idByKey.values()],
      },
    },
    ...created.events,
  ]);
  await tx.workstream.create({
    data: {
      id: workstreamId,
      portfolioId: workstream.portfolioId,
      ventureId: workstream.ventureId,
      title: options.title,
      goal: options.goal,
      origin: options.origin,
      status: "active",
      correlationId: ctx.correlationId,
      version: 1,
      createdBy: ctx.actor.id,
      createdAt: now,
      updatedAt: now,
    },
  });
  await created.write(tx, now);
  await notifyScheduler(tx);
  return { workstreamId, taskIds: Object.fromEntries(created.idByKey) };
}

/**
 * Submits a DAG of tasks as a new workstream of a venture (ORCH-002, CTRL-001). Duplicate keys,
 * unknown roles or dependencies and cycles are refused naming the field; nothing is written then.
 */
export async function submitWorkstream(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  clock?: Clock;
  ventureId: string;
  title: string;
  tasks: readonly TaskSpecInput[];
}): Promise<SubmittedWorkstream> {
  const now = (options.clock ?? systemClock).now();
  const specs = normalizeTaskSpecs(options.tasks, { now });
  return withTransaction(options.db, async (tx) => {
    const venture = await ventureForWork(tx, options.ventureId);
    return writeWorkstream(tx, options, {
      venture,
      title: options.title,
      goal: null,
      origin: "tasks",
      specs,
      kind: "work",
    });
  });
}

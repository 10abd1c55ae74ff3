import type { Clock } from "@/server/shared/clock";
import { type Db, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { type SubmittedWorkstream, ventureForWork, writeWorkstream } from "./submit-workstream";
import type { TaskSpec } from "./task-specs";

export const maxGoalLength = 2_000;

/**
 * Submits a goal (CTRL-001): a workstream with one L1 planner task, which the orchestrator
 * dispatches like any other; the planner's plan then extends the workstream with the DAG (AGENT-006).
 */
export async function submitGoal(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  clock?: Clock;
  ventureId: string;
  goal: string;
  /** Cost the planner may be estimated to need; the planned tasks carry their own estimates. */
  estimatedCostMinor?: bigint;
}): Promise<SubmittedWorkstream & { planTaskId: string }> {
  const goal = options.goal.trim();
  if (goal.length === 0 || goal.length > maxGoalLength) {
    throw new AppError("BAD_REQUEST", `goal must be 1 to ${maxGoalLength} characters`, {
      fields: { goal: `1 to ${maxGoalLength} characters` },
    });
  }
  const plan: TaskSpec = {
    key: "plan",
    title: `Plan: ${goal.length > 80 ? `${goal.slice(0, 77)}…` : goal}`,
    role: "planner",
    level: "L1",
    inputs: { goal },
    dependsOn: [],
    estimatedCostMinor: options.estimatedCostMinor ?? 0n,
    spendCeilingMinor: 500n,
    priority: 100,
    retry: { maxAttempts: 3, backoffMs: 1_000, backoffMaxMs: 30_000, timeoutMs: 120_000, deadlineAt: null },
  };
  const submitted = await withTransaction(options.db, async (tx) => {
    const venture = await ventureForWork(tx, options.ventureId);
    return writeWorkstream(tx, options, {
      venture,
      title: goal.length > 120 ? `${goal.slice(0, 117)}…` : goal,
      goal,
      origin: "goal",
      specs: [plan],
      kind: "plan",
    });
  });
  return { ...submitted, planTaskId: submitted.taskIds.plan! };
}

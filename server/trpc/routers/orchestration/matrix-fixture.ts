// State the role matrix needs for the orchestration and agents procedures (roles.int.test.ts only):
// tasks and workstreams to pause, resume and cancel, an escalated task to retry, and a tool call
// waiting for approval. Built through the real use-cases.
import { WorkloadKeyring } from "@/server/contexts/agents/identity/workload-token";
import { issueWorkloadToken } from "@/server/contexts/agents/issue-workload-token";
import { ledgerMeter } from "@/server/contexts/agents/metering/meter";
import { callTool } from "@/server/contexts/agents/tools/gateway";
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import { runDispatchPass } from "@/server/contexts/orchestration/dispatch-pass";
import { failTaskRun } from "@/server/contexts/orchestration/fail-task-run";
import { provisionVenture } from "@/server/contexts/orchestration/provision-venture";
import { startTaskRun } from "@/server/contexts/orchestration/start-task-run";
import { submitWorkstream } from "@/server/contexts/orchestration/submit-workstream";
import { ledgerBudgetReader } from "@/server/contexts/orchestration/venture-budget";
import { seedDefaultPolicies } from "@/server/contexts/policy/seed-default-policies";
import { type Db, withTransaction } from "@/server/shared/db";
import { invariant } from "@/server/shared/errors";

const actor = { type: "system" as const, id: "matrix" };
const correlationId = "cor_matrix_orchestration";

export async function orchestrationMatrixFixture(db: Db, portfolioId: string, ventureId: string) {
  await seedDefaultPolicies({ db, actor, correlationId, portfolioId });
  const ops = await createVenture({
    db,
    actor,
    correlationId,
    portfolioId,
    name: "Matrix operations",
    goal: null,
  });
  await withTransaction(db, (tx) =>
    provisionVenture({ tx, actor, correlationId, causationId: "evt_matrix", ventureId: ops.id }),
  );

  // An escalated task: dispatched, started, failed for good.
  const failing = await submitWorkstream({
    db,
    actor,
    correlationId,
    ventureId: ops.id,
    title: "Escalation",
    tasks: [{ key: "e", title: "Fails", role: "researcher", retry: { maxAttempts: 1 } }],
  });
  const escalatedTaskId = failing.taskIds.e!;
  await runDispatchPass({ db, budgets: ledgerBudgetReader, globalConcurrency: 10 });
  const [row] = await db.$queryRawUnsafe<Array<{ run_id: string }>>(
    "SELECT run_id FROM tasks WHERE id = $1",
    escalatedTaskId,
  );
  invariant(row?.run_id, "the matrix task was dispatched");
  await withTransaction(db, (tx) =>
    startTaskRun(
      tx,
      { actor, correlationId },
      { taskId: escalatedTaskId, runId: row.run_id, worker: "matrix", leaseMs: 60_000, now: new Date() },
    ),
  );
  await failTaskRun({
    db,
    ctx: { actor, correlationId },
    taskId: escalatedTaskId,
    failure: { runId: row.run_id, cause: "error", error: "matrix failure", retryable: false },
  });

  // A tool call waiting for approval.
  const outreach = await submitWorkstream({
    db,
    actor,
    correlationId,
    ventureId: ops.id,
    title: "Outreach",
    tasks: [{ key: "mail", title: "Email", role: "growth_marketer" }],
  });
  const { token } = await issueWorkloadToken({
    db,
    keyring: new WorkloadKeyring("matrix"),
    actor,
    correlationId,
    ventureId: ops.id,
    taskId: outreach.taskIds.mail!,
  });
  const asked = await callTool(
    { db, meter: ledgerMeter, supervisor: null },
    { token, tool: "email.send", args: { to: "a@example.com", subject: "Hi", body: "Hello" }, via: "mcp" },
  );
  invariant(asked.outcome === "needs_approval", "the matrix tool call waits for approval");

  // Tasks and workstreams of the matrix venture, one per control procedure so they do not interfere.
  const tasks = await submitWorkstream({
    db,
    actor,
    correlationId,
    ventureId,
    title: "Matrix tasks",
    tasks: ["get", "pause", "resume", "cancel", "edit", "token"].map((key) => ({
      key,
      title: key,
      role: "researcher",
    })),
  });
  const workstream = async (title: string) =>
    (
      await submitWorkstream({
        db,
        actor,
        correlationId,
        ventureId,
        title,
        tasks: [{ key: "w", title, role: "researcher" }],
      })
    ).workstreamId;
  return {
    opsVentureId: ops.id,
    escalatedTaskId,
    approvalId: asked.approvalId,
    taskIds: tasks.taskIds as Record<"get" | "pause" | "resume" | "cancel" | "edit" | "token", string>,
    workstreamIds: {
      pause: await workstream("Pause"),
      resume: await workstream("Resume"),
      cancel: await workstream("Cancel"),
    },
  };
}

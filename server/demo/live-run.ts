// The demo's live part: a new venture launched from a template in the demo portfolio, with its
// budget requested by the founder and approved by the finance controller — the same commands the
// pages call (launchFromTemplate, allocateBudget, approveIntent), so the policy decides, the
// approval is recorded and the allocation settles in the ledger. The running workers then provision
// the venture and the built-in provider's agents work through the template's DAG.
import { launchFromTemplate } from "@/server/contexts/orchestration/launch-from-template";
import { templateById } from "@/server/contexts/orchestration/templates";
import { allocateBudget } from "@/server/contexts/treasury/funding/api";
import { approveIntent } from "@/server/contexts/treasury/intents/api";
import type { Db } from "@/server/shared/db";
import { invariant } from "@/server/shared/errors";
import { newId } from "@/server/shared/ids";

export const liveTemplateId = "product-launch";
const liveName = "Harbor Coffee Roasters";

export type LiveRun = {
  ventureId: string;
  ventureName: string;
  workstreamId: string;
  intentId: string;
  budgetMinor: bigint;
  allocationStatus: string;
};

export async function startLiveRun(options: {
  db: Db;
  portfolioId: string;
  founderUserId: string;
  /** Approvers other than the founder, in order: the finance controller, then an admin if two are needed. */
  approverUserIds: ReadonlyArray<{ userId: string; role: "finance_controller" | "admin" }>;
}): Promise<LiveRun> {
  const { db, portfolioId } = options;
  const founder = { type: "user" as const, id: options.founderUserId };
  const correlationId = newId("correlation");
  const template = templateById(liveTemplateId);
  // Every run launches a venture of its own: "Harbor Coffee Roasters", then "… 2", "… 3".
  const [row] = await db.$queryRawUnsafe<Array<{ n: number }>>(
    "SELECT count(*)::int AS n FROM ventures WHERE portfolio_id = $1 AND name LIKE $2",
    portfolioId,
    `${liveName}%`,
  );
  const n = row?.n ?? 0;
  const name = n === 0 ? liveName : `${liveName} ${n + 1}`;
  const launched = await launchFromTemplate({
    db,
    actor: founder,
    correlationId,
    portfolioId,
    templateId: template.id,
    name,
    goal: "Sell freshly roasted coffee beans by subscription to offices in the city",
  });
  const ventureId = launched.venture.id;
  const allocation = await allocateBudget({
    db,
    actor: founder,
    correlationId,
    requester: { kind: "user", userId: options.founderUserId, portfolioId, portfolioRole: "founder" },
    input: {
      portfolioId,
      ventureId,
      amountMinor: template.suggestedBudgetMinor.toString(),
      currency: "USD",
      reason: `Budget for the ${template.name} template of ${name}`,
      idempotencyKey: `demo-live-${ventureId}`,
    },
  });
  let status: string = allocation.status;
  for (const approver of options.approverUserIds) {
    if (status !== "pending_approval") break;
    await approveIntent({
      db,
      actor: { type: "user", id: approver.userId },
      correlationId,
      decider: approver,
      portfolioId,
      intentId: allocation.intent.id,
      note: "Approved for the live demo run",
    });
    const [row] = await db.$queryRawUnsafe<Array<{ status: string; settled: boolean }>>(
      `SELECT i.status, a.settled_at IS NOT NULL AS settled
         FROM money_intents i JOIN treasury_allocations a ON a.intent_id = i.id WHERE i.id = $1`,
      allocation.intent.id,
    );
    invariant(row, `allocation ${allocation.intent.id} exists`);
    status = row.settled ? "settled" : row.status;
  }
  return {
    ventureId,
    ventureName: name,
    workstreamId: launched.workstreamId,
    intentId: allocation.intent.id,
    budgetMinor: template.suggestedBudgetMinor,
    allocationStatus: status,
  };
}

export type LiveProgress = {
  status: string;
  stage: string;
  tasks: Record<string, number>;
};

/** Where the live run is: the venture's status and stage and its tasks by status. */
export async function liveProgress(
  db: Db,
  run: Pick<LiveRun, "ventureId" | "workstreamId">,
): Promise<LiveProgress> {
  const [venture] = await db.$queryRawUnsafe<Array<{ status: string; stage: string }>>(
    "SELECT status, stage FROM ventures WHERE id = $1",
    run.ventureId,
  );
  const rows = await db.$queryRawUnsafe<Array<{ status: string; n: number }>>(
    "SELECT status, count(*)::int AS n FROM tasks WHERE workstream_id = $1 GROUP BY status",
    run.workstreamId,
  );
  return {
    status: venture?.status ?? "missing",
    stage: venture?.stage ?? "missing",
    tasks: Object.fromEntries(rows.map((r) => [r.status, r.n])),
  };
}

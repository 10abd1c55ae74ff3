// The role x procedure matrix: every tRPC procedure, called as each role, as a member of another
// portfolio and signed out. A procedure added without an entry here fails this test.
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { artifactsMatrixFixture, landingPageIr } from "@/server/contexts/artifacts/testing";
import { complianceMatrixFixture } from "@/server/contexts/compliance/testing";
import { notificationsMatrixFixture } from "@/server/contexts/notifications/testing";
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import { treasuryMatrixFixture } from "@/server/contexts/treasury/intents/testing";
import { railsMatrixFixture, voidMatrixFixture } from "@/server/contexts/treasury/rails/testing";
import type { Role } from "@/server/shared/events/catalog";
import { openTestServices, type TestServices } from "@/test/services";
import { type RoleFixture, roleFixture } from "./fixtures";
import { appRouter } from "./root";
import { orchestrationMatrixFixture } from "./routers/orchestration/matrix-fixture";

type Who = Role | "outsider" | "signed_out";
const everyone: Role[] = ["founder", "finance_controller", "auditor", "admin"];

/** Who may call each procedure, and an input that is valid for it. */
const matrix: Record<
  string,
  {
    allowed: Role[] | "signed_in";
    input(f: RoleFixture & { ventureId: string }): unknown;
    /** What a member of another portfolio gets; NOT_FOUND unless the procedure is global (no tenant). */
    outsider?: "ok" | TRPCError["code"];
  }
> = {
  "identity.me": { allowed: "signed_in", input: () => undefined },
  "system.health": { allowed: "signed_in", input: () => undefined },
  "orchestration.createVenture": {
    allowed: ["founder", "admin"],
    input: (f) => ({ portfolioId: f.portfolioId, name: `Matrix ${Math.random().toString(36).slice(2, 9)}` }),
  },
  "orchestration.listTemplates": { allowed: "signed_in", input: () => undefined },
  "orchestration.launchFromTemplate": {
    allowed: ["founder", "admin"],
    input: (f) => ({
      portfolioId: f.portfolioId,
      templateId: "content-newsletter",
      name: `Matrix template ${Math.random().toString(36).slice(2, 9)}`,
    }),
  },
  "orchestration.listVentures": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "orchestration.getVenture": { allowed: everyone, input: (f) => ({ ventureId: f.ventureId }) },
  "live.events": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "policy.listVersions": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "policy.publish": {
    allowed: ["admin"],
    input: (f) => ({
      portfolioId: f.portfolioId,
      scope: "tools",
      text: `@id("matrix.allow") permit (principal, action, resource); // ${Math.random()}`,
    }),
  },
  // Orchestration (ORCH-001…006, CTRL-001): founders and admins act, every role reads. Each control
  // procedure has a task or workstream of its own; a second identical call is a no-op, hence "ok".
  "orchestration.updateVenture": {
    allowed: ["founder", "admin"],
    input: (f) => ({ ventureId: f.ventureId, goal: "Matrix goal" }),
  },
  "orchestration.changeVentureStage": {
    allowed: ["founder", "admin"],
    input: (f) => ({ ventureId: f.ventureId, stage: "validating" }),
  },
  "orchestration.setVentureLimits": {
    allowed: ["founder", "admin"],
    input: (f) => ({ ventureId: f.ventureId, concurrencyLimit: 3, weight: 2 }),
  },
  // Scale-up playbooks (ADR 0017): every role reads; founders, finance controllers and admins
  // configure (the same configuration again is a no-op, hence "ok" for each).
  "playbooks.get": { allowed: everyone, input: (f) => ({ ventureId: f.ventureId }) },
  "playbooks.set": {
    allowed: ["founder", "finance_controller", "admin"],
    input: (f) => ({
      ventureId: f.ventureId,
      revenueThresholdMinor: "100000",
      budgetIncreaseMinor: "50000",
      concurrencyTarget: 6,
    }),
  },
  "playbooks.listRuns": { allowed: everyone, input: (f) => ({ ventureId: f.ventureId }) },
  "orchestration.pauseVenture": {
    allowed: ["founder", "admin"],
    input: () => ({ ventureId: work.opsVentureId }),
  },
  "orchestration.resumeVenture": {
    allowed: ["founder", "admin"],
    input: () => ({ ventureId: work.opsVentureId }),
  },
  "orchestration.submitGoal": {
    allowed: ["founder", "admin"],
    input: (f) => ({ ventureId: f.ventureId, goal: "Sell matrix kits" }),
  },
  "orchestration.submitWorkstream": {
    allowed: ["founder", "admin"],
    input: (f) => ({
      ventureId: f.ventureId,
      title: "Matrix DAG",
      tasks: [{ key: "a", title: "A", role: "researcher" }],
    }),
  },
  "orchestration.getVentureDag": { allowed: everyone, input: (f) => ({ ventureId: f.ventureId }) },
  "orchestration.listTasks": { allowed: everyone, input: (f) => ({ ventureId: f.ventureId }) },
  "orchestration.getTask": {
    allowed: everyone,
    input: (f) => ({ ventureId: f.ventureId, taskId: work.taskIds.get }),
  },
  "orchestration.pauseTask": {
    allowed: ["founder", "admin"],
    input: (f) => ({ ventureId: f.ventureId, taskId: work.taskIds.pause }),
  },
  "orchestration.resumeTask": {
    allowed: ["founder", "admin"],
    input: (f) => ({ ventureId: f.ventureId, taskId: work.taskIds.resume }),
  },
  "orchestration.cancelTask": {
    allowed: ["founder", "admin"],
    input: (f) => ({ ventureId: f.ventureId, taskId: work.taskIds.cancel }),
  },
  "orchestration.retryTask": {
    allowed: ["founder", "admin"],
    input: () => ({ ventureId: work.opsVentureId, taskId: work.escalatedTaskId }),
  },
  "orchestration.editTask": {
    allowed: ["founder", "admin"],
    input: (f) => ({ ventureId: f.ventureId, taskId: work.taskIds.edit, changes: { title: "Edited" } }),
  },
  "orchestration.listEscalations": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  // Any signed-in person may ask; only members of the task's portfolio get an answer.
  "orchestration.locateTask": { allowed: "signed_in", input: () => ({ taskId: work.taskIds.get }) },
  "orchestration.pauseWorkstream": {
    allowed: ["founder", "admin"],
    input: (f) => ({ ventureId: f.ventureId, workstreamId: work.workstreamIds.pause }),
  },
  "orchestration.resumeWorkstream": {
    allowed: ["founder", "admin"],
    input: (f) => ({ ventureId: f.ventureId, workstreamId: work.workstreamIds.resume }),
  },
  "orchestration.cancelWorkstream": {
    allowed: ["founder", "admin"],
    input: (f) => ({ ventureId: f.ventureId, workstreamId: work.workstreamIds.cancel }),
  },
  // Agents (AGENT-001…008).
  "agents.listRoles": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "agents.taskActivity": {
    allowed: everyone,
    input: (f) => ({ ventureId: f.ventureId, taskId: work.taskIds.get }),
  },
  "agents.ventureUsage": { allowed: everyone, input: (f) => ({ ventureId: f.ventureId }) },
  "agents.listToolApprovals": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "agents.decideToolApproval": {
    allowed: ["founder", "admin"],
    input: () => ({ ventureId: work.opsVentureId, approvalId: work.approvalId, decision: "approved" }),
  },
  "agents.searchMemory": { allowed: everyone, input: (f) => ({ ventureId: f.ventureId, query: "matrix" }) },
  "agents.issueWorkloadToken": {
    allowed: ["founder", "admin"],
    input: (f) => ({ ventureId: f.ventureId, taskId: work.taskIds.token }),
  },
  // The kill-switch is global: founder or admin in any portfolio may pause and resume it, so the
  // outsider (an admin elsewhere) may too. A second pause or resume is a no-op, hence "ok".
  "control.getState": { allowed: "signed_in", input: () => undefined },
  "control.listConfirmations": { allowed: "signed_in", input: () => undefined },
  "control.pause": {
    allowed: ["founder", "admin"],
    outsider: "ok",
    input: () => ({ reason: "matrix check" }),
  },
  "control.resume": {
    allowed: ["founder", "admin"],
    outsider: "ok",
    input: () => ({ reason: "matrix check" }),
  },
  // Audit: reading is open to every role, exporting evidence to auditors and admins.
  "compliance.overview": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "compliance.searchEvents": {
    allowed: everyone,
    input: (f) => ({ portfolioId: f.portfolioId, text: "Matrix" }),
  },
  "compliance.getEvent": {
    allowed: everyone,
    input: (f) => ({ portfolioId: f.portfolioId, sequence: compliance.eventSequence }),
  },
  "compliance.listKeys": { allowed: "signed_in", input: () => undefined },
  "compliance.verifyNow": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "compliance.startVerification": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "compliance.getVerification": {
    allowed: everyone,
    input: (f) => ({ portfolioId: f.portfolioId, verificationId: compliance.verificationId }),
  },
  "compliance.listFindings": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "compliance.createEvidencePack": {
    allowed: ["auditor", "admin"],
    input: (f) => ({ portfolioId: f.portfolioId, from: "2020-01-01", to: "2020-01-02T00:00:00Z" }),
  },
  "compliance.listEvidencePacks": {
    allowed: ["auditor", "admin"],
    input: (f) => ({ portfolioId: f.portfolioId }),
  },
  "compliance.getEvidencePack": {
    allowed: ["auditor", "admin"],
    input: (f) => ({ portfolioId: f.portfolioId, packId: compliance.packId }),
  },
  // Personal data (COMPL-004/005): auditors and admins export a subject's data, only admins erase
  // (a second erasure of the same subject changes nothing, hence "ok" for whoever comes after).
  "compliance.exportSubjectData": {
    allowed: ["auditor", "admin"],
    input: (f) => ({ portfolioId: f.portfolioId, subject: compliance.subjectEmail }),
  },
  "compliance.eraseSubject": {
    allowed: ["admin"],
    input: (f) => ({ portfolioId: f.portfolioId, subject: compliance.erasableSubjectId }),
  },
  // Findings (COMPL-006): auditors and admins change their status; the same status again is a no-op.
  "compliance.updateFinding": {
    allowed: ["auditor", "admin"],
    input: (f) => ({
      portfolioId: f.portfolioId,
      findingId: compliance.findingId,
      status: "acknowledged",
      note: "matrix",
    }),
  },
  // Treasury (TREAS-001/006/007): founders and admins request money, finance controllers and
  // admins decide and freeze, every role reads. The four-eyes intent takes the finance
  // controller's then the admin's approval; each deny call gets a pending intent of its own.
  "treasury.createIntent": {
    allowed: ["founder", "admin"],
    input: (f) => ({
      portfolioId: f.portfolioId,
      ventureId: f.ventureId,
      amountMinor: "100",
      currency: "USD",
      counterparty: "acme",
      category: "model_inference",
      purpose: "Matrix spend",
      idempotencyKey: `matrix-${Math.random().toString(36).slice(2, 10)}`,
    }),
  },
  "treasury.listIntents": {
    allowed: everyone,
    input: (f) => ({ portfolioId: f.portfolioId, status: "pending_approval" }),
  },
  "treasury.getIntent": {
    allowed: everyone,
    input: (f) => ({ portfolioId: f.portfolioId, intentId: money.fourEyesIntentId }),
  },
  "treasury.approveIntent": {
    allowed: ["finance_controller", "admin"],
    input: (f) => ({ portfolioId: f.portfolioId, intentId: money.fourEyesIntentId, note: "matrix approval" }),
  },
  "treasury.denyIntent": {
    allowed: ["finance_controller", "admin"],
    input: (f) => ({ portfolioId: f.portfolioId, intentId: money.nextDenyIntentId(), note: "matrix denial" }),
  },
  "treasury.freeze": {
    allowed: ["finance_controller", "admin"],
    input: (f) => ({ portfolioId: f.portfolioId, ventureId: money.freezeVentureId, reason: "matrix freeze" }),
  },
  "treasury.unfreeze": {
    allowed: ["finance_controller", "admin"],
    input: (f) => ({
      portfolioId: f.portfolioId,
      ventureId: money.freezeVentureId,
      reason: "matrix unfreeze",
    }),
  },
  "treasury.getFreezes": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  // Funding and reports (ADR 0012): finance controllers and admins deposit capital, founders and
  // admins request allocations (money intents; each call a new one), every role reads balances,
  // reports and the dashboard.
  "treasury.deposit": {
    allowed: ["finance_controller", "admin"],
    input: (f) => ({
      portfolioId: f.portfolioId,
      amountMinor: "100000",
      currency: "USD",
      source: "Matrix capital",
    }),
  },
  "treasury.listDeposits": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "treasury.allocate": {
    allowed: ["founder", "admin"],
    input: (f) => ({ ventureId: f.ventureId, amountMinor: "1000", currency: "USD", reason: "Matrix budget" }),
  },
  "treasury.listAllocations": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "treasury.ventureBalances": { allowed: everyone, input: (f) => ({ ventureId: f.ventureId }) },
  "treasury.trialBalance": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "treasury.profitAndLoss": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "treasury.runway": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId, windowDays: 7 }) },
  "treasury.dailySeries": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "treasury.reportCsv": {
    allowed: everyone,
    input: (f) => ({ portfolioId: f.portfolioId, report: "trial-balance" }),
  },
  // Rebalancing (ORCH-007, ADR 0016): every role reads the recommendations and transfers; founders,
  // finance controllers and admins request transfers (money intents; each call a new one).
  "rebalancing.recommendations": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "rebalancing.requestTransfer": {
    allowed: ["founder", "finance_controller", "admin"],
    input: (f) => ({
      portfolioId: f.portfolioId,
      fromVentureId: f.ventureId,
      toVentureId: money.freezeVentureId,
      amountMinor: "100",
      currency: "USD",
      reason: "Matrix transfer",
    }),
  },
  "rebalancing.listTransfers": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "dashboard.overview": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "dashboard.ventures": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "dashboard.series": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId, days: 14 }) },
  "dashboard.activity": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId, limit: 10 }) },
  // Rails (ADR 0011): finance controllers and admins reconcile and read the runs; founders and
  // admins take sandbox payments (a new idempotency key per call).
  "treasury.reconcile": {
    allowed: ["finance_controller", "admin"],
    input: (f) => ({ portfolioId: f.portfolioId, freezeOnBreak: false }),
  },
  "treasury.listReconciliations": {
    allowed: ["finance_controller", "admin"],
    input: (f) => ({ portfolioId: f.portfolioId }),
  },
  "treasury.getReconciliation": {
    allowed: ["finance_controller", "admin"],
    input: (f) => ({ portfolioId: f.portfolioId, runId: rails.runId }),
  },
  "treasury.receiveSandboxPayment": {
    allowed: ["founder", "admin"],
    input: (f) => ({
      portfolioId: f.portfolioId,
      ventureId: f.ventureId,
      amountMinor: "1500",
      currency: "USD",
      customer: "matrix customer",
      idempotencyKey: `matrix-pay-${Math.random().toString(36).slice(2, 10)}`,
    }),
  },
  // Finance controllers and admins void the hold of an approved payment not sent yet (UJ-3).
  "treasury.voidPayout": {
    allowed: ["finance_controller", "admin"],
    input: (f) => ({ portfolioId: f.portfolioId, intentId: voids.nextVoidIntentId(), note: "Matrix void" }),
  },
  // Notifications (CTRL-006): everyone reads and marks their own; webhooks are for admins. A
  // second disable of the same endpoint is a no-op, hence "ok".
  "notifications.list": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "notifications.markRead": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId, all: true }) },
  "notifications.feed": { allowed: everyone, input: (f) => ({ portfolioId: f.portfolioId }) },
  "notifications.listWebhooks": { allowed: ["admin"], input: (f) => ({ portfolioId: f.portfolioId }) },
  "notifications.registerWebhook": {
    allowed: ["admin"],
    input: (f) => ({
      portfolioId: f.portfolioId,
      url: "https://hooks.example.test/matrix",
      eventTypes: ["finding.raised"],
    }),
  },
  "notifications.disableWebhook": {
    allowed: ["admin"],
    input: (f) => ({ portfolioId: f.portfolioId, endpointId: hooks.endpointId }),
  },
  "notifications.listWebhookDeliveries": {
    allowed: ["admin"],
    input: (f) => ({ portfolioId: f.portfolioId, endpointId: hooks.endpointId }),
  },
  // Artifacts (ARTIF-001…007): founders and admins write, build, review and publish; every role
  // reads. State-changing procedures get an artifact of their own per call (written by someone
  // else, so separation of duties lets every allowed role review it).
  "artifacts.create": {
    allowed: ["founder", "admin"],
    input: (f) => ({
      ventureId: f.ventureId,
      ir: landingPageIr({ sections: 1, title: `Matrix ${Math.random().toString(36).slice(2, 9)}` }),
    }),
  },
  "artifacts.addVersion": {
    allowed: ["founder", "admin"],
    input: (f) => ({
      ventureId: f.ventureId,
      artifactId: arts.artifactId,
      ir: landingPageIr({ sections: 1, title: `Matrix v ${Math.random().toString(36).slice(2, 9)}` }),
    }),
  },
  "artifacts.list": { allowed: everyone, input: (f) => ({ ventureId: f.ventureId }) },
  "artifacts.get": {
    allowed: everyone,
    input: (f) => ({ ventureId: f.ventureId, artifactId: arts.artifactId }),
  },
  "artifacts.requestBuild": {
    allowed: ["founder", "admin"],
    input: (f) => ({ ventureId: f.ventureId, artifactId: arts.artifactId }),
  },
  "artifacts.getBuild": {
    allowed: everyone,
    input: (f) => ({ ventureId: f.ventureId, artifactId: arts.artifactId, buildId: arts.buildId }),
  },
  "artifacts.buildFile": {
    allowed: everyone,
    input: (f) => ({
      ventureId: f.ventureId,
      artifactId: arts.artifactId,
      buildId: arts.buildId,
      name: "index.html",
    }),
  },
  "artifacts.bundleFile": {
    allowed: everyone,
    input: (f) => ({ ventureId: f.ventureId, artifactId: arts.artifactId, buildId: arts.buildId }),
  },
  "artifacts.diff": {
    allowed: everyone,
    input: (f) => ({ ventureId: f.ventureId, artifactId: arts.artifactId, from: 1, to: 1 }),
  },
  "artifacts.submitForReview": {
    allowed: ["founder", "admin"],
    input: (f) => ({ ventureId: f.ventureId, artifactId: arts.nextBuilt() }),
  },
  "artifacts.approve": {
    allowed: ["founder", "admin"],
    input: (f) => ({ ventureId: f.ventureId, artifactId: arts.nextInReview() }),
  },
  "artifacts.requestChanges": {
    allowed: ["founder", "admin"],
    input: (f) => ({
      ventureId: f.ventureId,
      artifactId: arts.nextInReviewForChanges(),
      note: "Please fix the hero",
    }),
  },
  "artifacts.publish": {
    allowed: ["founder", "admin"],
    input: (f) => ({ ventureId: f.ventureId, artifactId: arts.nextApproved() }),
  },
  // Any signed-in person may ask; only members of the artifact's portfolio get an answer.
  "artifacts.locate": { allowed: "signed_in", input: () => ({ artifactId: arts.artifactId }) },
  "compliance.evidencePackFile": {
    allowed: ["auditor", "admin"],
    input: (f) => ({ portfolioId: f.portfolioId, packId: compliance.packId }),
  },
};

let s: TestServices;
let f: RoleFixture & { ventureId: string };
/** A sealed event, a verification run and a ready evidence pack of the fixture's portfolio. */
let compliance: Awaited<ReturnType<typeof complianceMatrixFixture>>;
/** Tasks, workstreams, an escalated task and a pending approval for the orchestration and agents procedures. */
let work: Awaited<ReturnType<typeof orchestrationMatrixFixture>>;
/** A four-eyes intent, pending intents to deny and a venture to freeze, for the treasury procedures. */
let money: Awaited<ReturnType<typeof treasuryMatrixFixture>>;
/** A reconciliation run of the fixture's portfolio, for the reconciliation procedures. */
let rails: Awaited<ReturnType<typeof railsMatrixFixture>>;
/** Approved payments to void, one per call. */
let voids: Awaited<ReturnType<typeof voidMatrixFixture>>;
/** A webhook endpoint of the fixture's portfolio, for the webhook procedures. */
let hooks: Awaited<ReturnType<typeof notificationsMatrixFixture>>;
/** Artifacts written by someone else: one built, and one per call in each state the review procedures need. */
let arts: Awaited<ReturnType<typeof artifactsMatrixFixture>>;

beforeAll(async () => {
  s = await openTestServices();
  const base = await roleFixture(s.db);
  const venture = await createVenture({
    db: s.db,
    actor: { type: "system", id: "test" },
    correlationId: "cor_matrix",
    portfolioId: base.portfolioId,
    name: "Matrix venture",
    goal: null,
  });
  f = { ...base, ventureId: venture.id };
  compliance = await complianceMatrixFixture(s.db, f.portfolioId);
  work = await orchestrationMatrixFixture(s.db, f.portfolioId, f.ventureId);
  rails = await railsMatrixFixture(s.db, f.portfolioId);
  hooks = await notificationsMatrixFixture(s.db, f.portfolioId);
  arts = await artifactsMatrixFixture(s.db, f.ventureId, s.env.CHROMIUM_PATH);
  money = await treasuryMatrixFixture(s.db, {
    portfolioId: f.portfolioId,
    ventureId: f.ventureId,
    founderUserId: f.principals.founder.userId,
  });
  voids = await voidMatrixFixture(s.db, {
    portfolioId: f.portfolioId,
    ventureId: f.ventureId,
    founderUserId: f.principals.founder.userId,
  });
});
afterAll(async () => {
  await s.close();
});

async function call(path: string, who: Who): Promise<"ok" | TRPCError["code"]> {
  const caller = f.caller(who) as unknown as Record<
    string,
    Record<string, (input: unknown) => Promise<unknown>>
  >;
  const [router, procedure] = path.split(".") as [string, string];
  try {
    await caller[router]![procedure]!(matrix[path]!.input(f));
    return "ok";
  } catch (error) {
    if (error instanceof TRPCError) return error.code;
    throw error;
  }
}

describe("role x procedure matrix", () => {
  const procedures = Object.keys(appRouter._def.procedures);

  it("has an entry for every procedure", () => {
    expect(procedures.filter((p) => !(p in matrix))).toEqual([]);
    expect(Object.keys(matrix).filter((p) => !procedures.includes(p))).toEqual([]);
  });

  for (const path of Object.keys(matrix)) {
    it(`${path}: allowed roles succeed, others are refused`, async () => {
      const { allowed, outsider } = matrix[path]!;
      for (const role of everyone) {
        const expected = allowed === "signed_in" || allowed.includes(role) ? "ok" : "FORBIDDEN";
        expect(`${role}: ${await call(path, role)}`).toBe(`${role}: ${expected}`);
      }
      expect(await call(path, "signed_out")).toBe("UNAUTHORIZED");
      if (allowed !== "signed_in") {
        // A member of another portfolio learns nothing about this one.
        expect(await call(path, "outsider")).toBe(outsider ?? "NOT_FOUND");
      }
    });
  }
});

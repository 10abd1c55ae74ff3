// Scale-up playbooks (ORCH-008, UJ-6, ADR 0017) against the real services: revenue below the
// threshold fires nothing; past it the playbook fires once — however often, and however
// concurrently, it is checked — asking for a budget increase that needs two distinct finance
// controllers (the requester, a repeated approver and any approval while paused are refused); once
// approved the money settles in the ledger and the venture's concurrency rises, and the dispatcher
// then runs more of its tasks at once. A denial, or a request nobody decided before it expired,
// leaves concurrency as it was. Bad configuration names the field and writes nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pause, resume } from "@/server/contexts/control/api";
import { grantMembership } from "@/server/contexts/identity/grant-membership";
import { registerUser } from "@/server/contexts/identity/register-user";
import {
  checkScaleUpPlaybooks,
  firePlaybookIfDue,
  getScaleUpPlaybook,
  listScaleUpRuns,
  setScaleUpPlaybook,
} from "@/server/contexts/orchestration/playbooks/api";
import { setVentureLimits } from "@/server/contexts/orchestration/set-venture-limits";
import { submitWorkstream } from "@/server/contexts/orchestration/submit-workstream";
import { eventually, readyVenture, taskStatuses } from "@/server/contexts/orchestration/testing/fixtures";
import { recordDeposit } from "@/server/contexts/treasury/funding/api";
import {
  approveIntent,
  denyIntent,
  expireIntents,
  freezeTreasury,
  getIntent,
} from "@/server/contexts/treasury/intents/api";
import { getBalances } from "@/server/contexts/treasury/ledger/get-balances";
import { receiveSandboxPayment } from "@/server/contexts/treasury/rails/api";
import { testRails } from "@/server/contexts/treasury/rails/testing";
import { ventureBalances } from "@/server/contexts/treasury/reports/api";
import type { Role } from "@/server/shared/events/catalog";
import { type RoleFixture, roleFixture } from "@/server/trpc/fixtures";
import { openTestServices, type TestServices } from "@/test/services";
import { type RunningConsumer, startConsumer } from "../_runtime/consumer";
import { alwaysOpenGate } from "../_runtime/gate";
import { playbookJobs } from "./playbook-jobs";
import { type Stack, startStack } from "./testing";

let s: TestServices;
let stack: Stack;
let f: RoleFixture;
const consumers: RunningConsumer[] = [];
/** Two more finance controllers: the four eyes, besides the one who configures the playbook. */
const controllers: string[] = [];

const system = { type: "system" as const, id: "test" };
const worker = { actor: { type: "worker" as const, id: "orchestrator" }, correlationId: "cor_playbook_test" };
const control = { actor: system, actorName: "test", correlationId: "cor_playbook_pause", fanout: null };

beforeAll(async () => {
  s = await openTestServices();
  stack = await startStack(s, { agents: { providers: { builtin: { latencyMs: 250 } } } });
  for (const spec of playbookJobs().consumers) consumers.push(await startConsumer(s, spec));
  f = await roleFixture(s.db);
  for (const n of [2, 3]) {
    const { userId } = await registerUser({
      db: s.db,
      actor: system,
      correlationId: "cor_playbook_users",
      email: `finance${n}-${f.portfolioId.toLowerCase()}@example.test`,
      name: `Finance ${n}`,
      password: null,
    });
    await grantMembership({
      db: s.db,
      actor: system,
      correlationId: "cor_playbook_users",
      userId,
      portfolioId: f.portfolioId,
      role: "finance_controller",
    });
    controllers.push(userId);
  }
  await recordDeposit({
    db: s.db,
    actor: system,
    correlationId: "cor_playbook_deposit",
    depositedBy: f.principals.finance_controller.userId,
    input: { portfolioId: f.portfolioId, amountMinor: "10000000", currency: "USD", source: "Seed round" },
  });
}, 90_000);

afterAll(async () => {
  for (const c of consumers) await c.stop();
  await stack?.stop();
  await s?.close();
});

async function revenue(ventureId: string, amountMinor: string) {
  await receiveSandboxPayment({
    db: s.db,
    rails: testRails(s.db),
    actor: system,
    correlationId: "cor_playbook_revenue",
    input: {
      portfolioId: f.portfolioId,
      ventureId,
      amountMinor,
      currency: "USD",
      customer: null,
      idempotencyKey: `pay-${Math.random().toString(36).slice(2)}`,
    },
  });
}

async function configure(ventureId: string, by: Role, input: Record<string, unknown>) {
  return setScaleUpPlaybook({
    db: s.db,
    actor: { type: "user", id: f.principals[by].userId },
    correlationId: "cor_playbook_config",
    ventureId,
    configuredBy: f.principals[by].userId,
    input,
  });
}

const decide = (userId: string, role: Role, intentId: string, note = "ok") => ({
  db: s.db,
  actor: { type: "user" as const, id: userId },
  correlationId: "cor_playbook_decide",
  decider: { userId, role },
  portfolioId: f.portfolioId,
  intentId,
  note,
});

/** Playbook intents of a venture (the allocation's key names the venture). */
async function playbookIntents(ventureId: string) {
  return s.db.$queryRawUnsafe<Array<{ id: string; counterparty: string; approvals_required: number }>>(
    "SELECT id, counterparty, approvals_required FROM money_intents WHERE venture_id = $1 AND idempotency_key LIKE 'allocation:scale-up:%'",
    ventureId,
  );
}

/** What the portfolio treasury's cash has available (held amounts taken off). */
async function treasuryCash(): Promise<bigint> {
  const [cash] = await getBalances(s.db, { accountIds: [`${f.portfolioId}:cash:USD`] });
  return cash!.availableMinor;
}

async function concurrencyOf(ventureId: string): Promise<number> {
  const [row] = await s.db.$queryRawUnsafe<Array<{ concurrency_limit: number }>>(
    "SELECT concurrency_limit FROM ventures WHERE id = $1",
    ventureId,
  );
  return row!.concurrency_limit;
}

/** The most tasks of a workstream that were dispatched or running at the same moment. */
async function observedMaxConcurrency(ventureId: string, keys: string[]): Promise<number> {
  const submitted = await submitWorkstream({
    db: s.db,
    actor: system,
    correlationId: "cor_playbook_work",
    ventureId,
    title: `Parallel ${Math.random().toString(36).slice(2, 6)}`,
    tasks: keys.map((key) => ({
      key,
      title: key,
      role: "researcher",
      inputs: { script: [{ answer: key }] },
    })),
  });
  stack.scheduler.wake();
  await eventually(
    async () =>
      Object.values(await taskStatuses(s.db, submitted.workstreamId)).every((st) => st === "succeeded"),
    30_000,
    "every task of the workstream succeeded",
  );
  // From the moment the agent started a run (stamped after it received the dispatch, so after the
  // scheduler saw the previous task finish) to its finish (stamped before that commit). The dispatch
  // time would not do: the scheduler stamps it when its pass begins, possibly before a task that
  // finished during the pass stamped its finish, and two tasks would seem to overlap by a few ms.
  const rows = await s.db.$queryRawUnsafe<Array<{ started_at: Date; finished_at: Date }>>(
    "SELECT started_at, finished_at FROM tasks WHERE workstream_id = $1",
    submitted.workstreamId,
  );
  return Math.max(
    ...rows.map(
      (t) =>
        rows.filter(
          (u) =>
            u.started_at.getTime() <= t.started_at.getTime() &&
            t.started_at.getTime() < u.finished_at.getTime(),
        ).length,
    ),
  );
}

describe("a scale-up playbook", () => {
  it("fires once past the threshold, needs two distinct approvers, then settles and raises concurrency", async () => {
    const ventureId = await readyVenture(s.db, f.portfolioId, { name: "Scale Robots" });
    await setVentureLimits({ db: s.db, ...worker, ventureId, concurrencyLimit: 1, weight: 1 });
    // A finance controller configures it: the increase is then requested for them.
    const configured = await configure(ventureId, "finance_controller", {
      revenueThresholdMinor: "100000",
      budgetIncreaseMinor: "50000",
      concurrencyTarget: 4,
    });
    expect(configured.changed).toBe(true);
    expect(configured.playbook).toMatchObject({ armed: true, fired: false, currentConcurrency: 1 });

    // Below the threshold: nothing.
    await revenue(ventureId, "60000");
    expect((await firePlaybookIfDue({ db: s.db, ...worker, ventureId })).fired).toBe(false);
    expect(await playbookIntents(ventureId)).toEqual([]);
    const below = await getScaleUpPlaybook({ db: s.db, ventureId });
    expect(below).toMatchObject({ trailingRevenueMinor: 60_000n, thresholdPassed: false, latestRun: null });

    // Past it, but paused: the kill-switch stops the playbook too.
    await revenue(ventureId, "50000");
    await pause({ db: s.db, ...control, reason: "playbook drill" });
    try {
      expect(await firePlaybookIfDue({ db: s.db, ...worker, ventureId })).toEqual({
        ventureId,
        fired: false,
        reason: "paused",
      });
    } finally {
      await resume({ db: s.db, ...control, reason: "drill over" });
    }
    expect(await playbookIntents(ventureId)).toEqual([]);

    // Checked many times at once (two orchestrators, a restart, a repeated hint): one firing.
    const outcomes = await Promise.all([
      ...Array.from({ length: 4 }, () => firePlaybookIfDue({ db: s.db, ...worker, ventureId })),
      checkScaleUpPlaybooks({ db: s.db, ...worker, ventureIds: [ventureId] }).then((r) => r.outcomes[0]),
    ]);
    expect(outcomes.filter((o) => o?.fired)).toHaveLength(1);
    expect((await firePlaybookIfDue({ db: s.db, ...worker, ventureId })).fired).toBe(false);
    const intents = await playbookIntents(ventureId);
    expect(intents).toEqual([
      { id: expect.any(String), counterparty: "scale-up-playbook", approvals_required: 2 },
    ]);
    const intentId = intents[0]!.id;
    const intent = (await getIntent({ db: s.db, portfolioId: f.portfolioId, intentId }))!;
    expect(intent).toMatchObject({
      status: "pending_approval",
      amountMinor: 50_000n,
      category: "budget_allocation",
      requestedBy: f.principals.finance_controller.userId,
    });
    expect(intent.decision.determiningPolicies).toContain("guardrail.scale-up-four-eyes");
    let view = (await getScaleUpPlaybook({ db: s.db, ventureId }))!;
    expect(view).toMatchObject({ fired: true, armed: false, thresholdPassed: true });
    expect(view.latestRun).toMatchObject({
      status: "waiting_approval",
      approvalsGiven: 0,
      approvalsRequired: 2,
      trailingRevenueMinor: 110_000n,
      concurrencyBefore: 1,
      concurrencyTarget: 4,
    });

    // With concurrency 1 the dispatcher runs one task of the venture at a time.
    expect(await observedMaxConcurrency(ventureId, ["a", "b", "c", "d"])).toBe(1);

    // Separation of duties: the requester cannot approve, a founder may not decide intents at all.
    const fc1 = f.principals.finance_controller.userId;
    await expect(approveIntent(decide(fc1, "finance_controller", intentId))).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    await expect(
      approveIntent(decide(f.principals.founder.userId, "founder", intentId)),
    ).rejects.toMatchObject({
      code: "FORBIDDEN",
    });
    // One approval leaves it pending (1 of 2); the same approver twice is refused.
    expect((await approveIntent(decide(controllers[0]!, "finance_controller", intentId))).status).toBe(
      "pending_approval",
    );
    await expect(
      approveIntent(decide(controllers[0]!, "finance_controller", intentId)),
    ).rejects.toMatchObject({
      code: "CONFLICT",
    });
    view = (await getScaleUpPlaybook({ db: s.db, ventureId }))!;
    expect(view.latestRun).toMatchObject({ status: "waiting_approval", approvalsGiven: 1 });
    expect(view.latestRun!.summary).toBe("Waiting for approvals: 1 of 2");
    // While paused no approval is accepted, and nothing moves.
    await pause({ db: s.db, ...control, reason: "approval drill" });
    try {
      await expect(
        approveIntent(decide(controllers[1]!, "finance_controller", intentId)),
      ).rejects.toMatchObject({
        code: "UNPROCESSABLE",
      });
    } finally {
      await resume({ db: s.db, ...control, reason: "drill over" });
    }
    expect(await concurrencyOf(ventureId)).toBe(1);

    // The second distinct finance controller: approved, settled in the ledger, concurrency raised.
    const budgetBefore = (await ventureBalances({ db: s.db, ventureId })).summary[0]!;
    expect((await approveIntent(decide(controllers[1]!, "finance_controller", intentId))).status).toBe(
      "approved",
    );
    const budgetAfter = (await ventureBalances({ db: s.db, ventureId })).summary[0]!;
    expect(budgetAfter.fundedMinor - budgetBefore.fundedMinor).toBe(50_000n);
    await eventually(async () => (await concurrencyOf(ventureId)) === 4, 15_000, "concurrency raised to 4");
    const [run] = await listScaleUpRuns({ db: s.db, ventureId });
    expect(run).toMatchObject({
      status: "concurrency_raised",
      approvalsGiven: 2,
      approvers: expect.arrayContaining(controllers),
      concurrencyBefore: 1,
      concurrencyAfter: 4,
      summary: "Concurrency raised 1 → 4",
    });

    // The dispatcher honours it: the venture's tasks now run several at once.
    expect(await observedMaxConcurrency(ventureId, ["e", "f", "g", "h"])).toBeGreaterThanOrEqual(2);

    // The record: fired, the limit set on the venture's stream, raised, settled — each once.
    const events = await s.db.$queryRawUnsafe<Array<{ type: string; envelope: string }>>(
      "SELECT type, envelope FROM event_log WHERE type LIKE 'orchestration.%' OR type LIKE 'treasury.allocation_%'",
    );
    const ours = events
      .map((e) => ({
        type: e.type,
        payload: (JSON.parse(e.envelope) as { payload: Record<string, unknown> }).payload,
      }))
      .filter((e) => e.payload.ventureId === ventureId);
    const count = (type: string, where: (p: Record<string, unknown>) => boolean = () => true) =>
      ours.filter((e) => e.type === type && where(e.payload)).length;
    expect(count("orchestration.scale_up_playbook_fired")).toBe(1);
    expect(count("orchestration.scale_up_concurrency_raised")).toBe(1);
    expect(count("orchestration.venture_limits_set", (p) => p.concurrencyLimit === 4)).toBe(1);
    expect(count("treasury.allocation_settled")).toBe(1);
  }, 120_000);

  it("fires once when two orchestrator loops race for it, and a denial leaves concurrency unchanged", async () => {
    const ventureId = await readyVenture(s.db, f.portfolioId, { name: "Denied Robots" });
    await setVentureLimits({ db: s.db, ...worker, ventureId, concurrencyLimit: 2, weight: 1 });
    await configure(ventureId, "founder", {
      revenueThresholdMinor: "20000",
      windowDays: 7,
      budgetIncreaseMinor: "30000",
      concurrencyTarget: 6,
    });
    const loops = await Promise.all(
      [1, 2].map(() => playbookJobs({ checkEveryMs: 50 }).loop(s, { gate: alwaysOpenGate })),
    );
    try {
      await revenue(ventureId, "25000");
      await eventually(
        async () => (await playbookIntents(ventureId)).length > 0,
        15_000,
        "the playbook fired",
      );
      // Both loops keep checking for a while; nothing fires again.
      await new Promise((resolve) => setTimeout(resolve, 600));
    } finally {
      for (const loop of loops) await loop.stop();
    }
    const intents = await playbookIntents(ventureId);
    expect(intents).toHaveLength(1);
    expect(await listScaleUpRuns({ db: s.db, ventureId })).toHaveLength(1);

    await denyIntent(decide(controllers[0]!, "finance_controller", intents[0]!.id, "Not this quarter"));
    await eventually(
      async () => (await listScaleUpRuns({ db: s.db, ventureId }))[0]?.status === "denied",
      15_000,
      "the run denied",
    );
    const [run] = await listScaleUpRuns({ db: s.db, ventureId });
    expect(run!.reason).toContain("Not this quarter");
    expect(run!.summary).toMatch(/^Denied: concurrency unchanged/);
    expect(await concurrencyOf(ventureId)).toBe(2);
    // The version fired; only a changed configuration arms the playbook again.
    expect((await firePlaybookIfDue({ db: s.db, ...worker, ventureId })).fired).toBe(false);
    expect((await getScaleUpPlaybook({ db: s.db, ventureId }))!).toMatchObject({ fired: true, armed: false });
  }, 60_000);

  it("records a request nobody decided in time as expired; concurrency stays and the treasury gets its money back", async () => {
    const ventureId = await readyVenture(s.db, f.portfolioId, { name: "Forgotten Robots" });
    await setVentureLimits({ db: s.db, ...worker, ventureId, concurrencyLimit: 2, weight: 1 });
    await configure(ventureId, "founder", {
      revenueThresholdMinor: "1000",
      budgetIncreaseMinor: "45000",
      concurrencyTarget: 5,
    });
    const cashBefore = await treasuryCash();
    await revenue(ventureId, "5000");
    expect(await firePlaybookIfDue({ db: s.db, ...worker, ventureId })).toMatchObject({
      fired: true,
      status: "waiting_approval",
    });
    expect(await treasuryCash()).toBe(cashBefore - 45_000n);
    const [intent] = await playbookIntents(ventureId);
    // Nobody approves; its time runs out (the expiry job judges by the database clock).
    await s.db.$executeRawUnsafe(
      "UPDATE money_intents SET expires_at = now() - interval '1 second' WHERE id = $1",
      intent!.id,
    );
    const { expired } = await expireIntents({
      db: s.db,
      actor: system,
      correlationId: "cor_playbook_expiry",
    });
    expect(expired).toContain(intent!.id);
    // The view follows the intent at once; the orchestrator's consumer then ends the run itself.
    const run = await eventually(
      async () => {
        const [latest] = await listScaleUpRuns({ db: s.db, ventureId });
        return latest?.status === "expired" && latest.reason !== null ? latest : null;
      },
      15_000,
      "the run ended as expired",
    );
    expect(run.reason).toMatch(/^Nobody approved it before /);
    expect(await concurrencyOf(ventureId)).toBe(2);
    expect(await treasuryCash()).toBe(cashBefore);
    // A late approval of the expired request is refused and changes nothing.
    await expect(
      approveIntent(decide(controllers[0]!, "finance_controller", intent!.id, "Too late")),
    ).rejects.toThrow();
    expect(await concurrencyOf(ventureId)).toBe(2);
  }, 60_000);

  it("fires into a frozen treasury as a denial naming the freeze; concurrency stays", async () => {
    const ventureId = await readyVenture(s.db, f.portfolioId, { name: "Frozen Robots" });
    await setVentureLimits({ db: s.db, ...worker, ventureId, concurrencyLimit: 3, weight: 1 });
    await configure(ventureId, "founder", {
      revenueThresholdMinor: "1000",
      budgetIncreaseMinor: "1000",
      concurrencyTarget: 8,
    });
    await freezeTreasury({
      db: s.db,
      actor: { type: "user", id: f.principals.finance_controller.userId },
      correlationId: "cor_playbook_freeze",
      role: "finance_controller",
      portfolioId: f.portfolioId,
      ventureId,
      reason: "Chargeback storm",
    });
    await revenue(ventureId, "5000");
    const fired = await firePlaybookIfDue({ db: s.db, ...worker, ventureId });
    expect(fired).toMatchObject({ fired: true, status: "denied" });
    const [run] = await listScaleUpRuns({ db: s.db, ventureId });
    expect(run).toMatchObject({ status: "denied", intentStatus: "denied" });
    expect(run!.reason).toContain("Chargeback storm");
    expect(await concurrencyOf(ventureId)).toBe(3);
  }, 30_000);

  it("refuses bad configuration naming each field, and writes nothing", async () => {
    const ventureId = await readyVenture(s.db, f.portfolioId, { name: "Config Robots" });
    const written = async () => {
      const [row] = await s.db.$queryRawUnsafe<Array<{ events: number; playbooks: number }>>(
        `SELECT (SELECT count(*)::int FROM event_log) AS events,
                (SELECT count(*)::int FROM scale_up_playbooks) AS playbooks`,
      );
      return row;
    };
    const before = await written();
    await expect(
      configure(ventureId, "founder", {
        revenueThresholdMinor: "12.50",
        budgetIncreaseMinor: 500,
        concurrencyTarget: 0,
        windowDays: 0,
      }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      details: {
        fields: {
          revenueThresholdMinor: expect.any(String),
          budgetIncreaseMinor: expect.any(String),
          concurrencyTarget: expect.any(String),
          windowDays: expect.any(String),
        },
      },
    });
    await expect(
      configure(ventureId, "founder", {
        currency: "EUR",
        revenueThresholdMinor: "1000",
        budgetIncreaseMinor: "1000",
        concurrencyTarget: 3,
      }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      details: { fields: { currency: expect.stringMatching(/USD/) } },
    });
    // Through tRPC too: the procedure names the field; an auditor may read but not configure.
    await expect(
      f.caller("founder").playbooks.set({
        ventureId,
        revenueThresholdMinor: "x",
        budgetIncreaseMinor: "1",
        concurrencyTarget: 2,
      }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringContaining("revenueThresholdMinor"),
    });
    await expect(
      f.caller("auditor").playbooks.set({
        ventureId,
        revenueThresholdMinor: "1",
        budgetIncreaseMinor: "1",
        concurrencyTarget: 2,
      }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    expect(await written()).toEqual(before);
    expect(await f.caller("auditor").playbooks.get({ ventureId })).toMatchObject({
      playbook: null,
      armed: false,
    });

    // A valid save, then the same again: the second records nothing.
    const input = {
      ventureId,
      revenueThresholdMinor: "1000",
      budgetIncreaseMinor: "1000",
      concurrencyTarget: 3,
    };
    expect((await f.caller("founder").playbooks.set(input)).changed).toBe(true);
    expect((await f.caller("admin").playbooks.set(input)).changed).toBe(false);
    expect(
      (await f.caller("founder").playbooks.set({ ...input, enabled: false })).playbook.playbook,
    ).toMatchObject({
      enabled: false,
      version: 2,
    });
  }, 60_000);
});

// Retries, escalation, replanning, pause/resume/cancel, budget waits and concurrency limits, with
// the whole pipeline running in-process against the real services (ORCH-002…006).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pause, resume } from "@/server/contexts/control/api";
import { cancelTask } from "@/server/contexts/orchestration/cancel-task";
import { cancelWorkstream } from "@/server/contexts/orchestration/cancel-workstream";
import { editTask } from "@/server/contexts/orchestration/edit-task";
import { getTask } from "@/server/contexts/orchestration/get-task";
import { listEscalations } from "@/server/contexts/orchestration/list-escalations";
import { pauseTask } from "@/server/contexts/orchestration/pause-task";
import { pauseVenture, resumeVenture } from "@/server/contexts/orchestration/pause-venture";
import { resumeTask } from "@/server/contexts/orchestration/resume-task";
import { retryTask } from "@/server/contexts/orchestration/retry-task";
import { setVentureLimits } from "@/server/contexts/orchestration/set-venture-limits";
import { submitGoal } from "@/server/contexts/orchestration/submit-goal";
import { submitWorkstream } from "@/server/contexts/orchestration/submit-workstream";
import {
  eventually,
  fundVenture,
  portfolioWithPolicies,
  readyVenture,
  taskStatuses,
} from "@/server/contexts/orchestration/testing/fixtures";
import { AppError } from "@/server/shared/errors";
import { openTestServices, type TestServices } from "@/test/services";
import { type Stack, startStack } from "./testing";

let s: TestServices;
let stack: Stack;
let portfolioId: string;

beforeAll(async () => {
  s = await openTestServices();
  stack = await startStack(s, { agents: { providers: { builtin: { latencyMs: 20 } } } });
  portfolioId = await portfolioWithPolicies(s.db);
}, 60_000);

afterAll(async () => {
  await stack?.stop();
  await s?.close();
});

const founder = { type: "user" as const, id: "usr_founder" };

async function status(taskId: string): Promise<string> {
  const [row] = await s.db.$queryRawUnsafe<Array<{ status: string }>>(
    "SELECT status FROM tasks WHERE id = $1",
    taskId,
  );
  return row!.status;
}

async function eventCount(): Promise<number> {
  const [row] = await s.db.$queryRawUnsafe<Array<{ n: number }>>("SELECT count(*)::int AS n FROM event_log");
  return row!.n;
}

describe("retries and escalation (ORCH-004)", () => {
  it("escalates after the retry policy is exhausted; the founder edits and retries; dependents then run", async () => {
    const ventureId = await readyVenture(s.db, portfolioId);
    const submitted = await submitWorkstream({
      db: s.db,
      actor: founder,
      correlationId: "cor_escalate",
      ventureId,
      title: "Escalation",
      tasks: [
        {
          key: "flaky",
          title: "Always fails",
          role: "researcher",
          inputs: { script: [{ fail: "the source is down" }] },
          retry: { maxAttempts: 2, backoffMs: 50, backoffMaxMs: 100 },
        },
        {
          key: "after",
          title: "Runs after",
          role: "copywriter",
          dependsOn: ["flaky"],
          inputs: { script: [{ answer: "ok" }] },
        },
      ],
    });
    const flaky = submitted.taskIds.flaky!;
    const after = submitted.taskIds.after!;
    await eventually(async () => (await status(flaky)) === "escalated", 15_000, "escalated");
    expect(await status(after)).toBe("pending");

    const detail = await getTask({ db: s.db, ventureId, taskId: flaky });
    const types = detail.history.map((h) => h.type);
    expect(types.filter((t) => t === "orchestration.task_attempt_failed")).toHaveLength(2);
    expect(types.at(-1)).toBe("orchestration.task_escalated");
    expect(detail.lastError).toMatch(/the source is down/);
    const inbox = await listEscalations({ db: s.db, portfolioId });
    const item = inbox.find((e) => e.id === flaky);
    expect(item?.history.length).toBeGreaterThanOrEqual(5);

    // A retry without changes fails again and escalates again after one more attempt.
    await retryTask({
      db: s.db,
      actor: founder,
      correlationId: "cor_escalate",
      ventureId,
      taskId: flaky,
      extraAttempts: 1,
    });
    await eventually(
      async () =>
        (await getTask({ db: s.db, ventureId, taskId: flaky })).history.filter(
          (h) => h.type === "orchestration.task_escalated",
        ).length === 2,
      15_000,
    );

    // Edit the inputs, then retry: it succeeds and its dependent runs.
    await editTask({
      db: s.db,
      actor: founder,
      correlationId: "cor_escalate",
      ventureId,
      taskId: flaky,
      changes: { inputs: { script: [{ answer: "fixed" }] } },
    });
    await retryTask({ db: s.db, actor: founder, correlationId: "cor_escalate", ventureId, taskId: flaky });
    await eventually(async () => (await status(after)) === "succeeded", 15_000, "dependent ran");
    expect(await status(flaky)).toBe("succeeded");
  }, 45_000);

  it("replans a goal when a planned task fails for good: a replacement takes over its dependents", async () => {
    const ventureId = await readyVenture(s.db, portfolioId);
    const submitted = await submitGoal({
      db: s.db,
      actor: founder,
      correlationId: "cor_replan",
      ventureId,
      goal: "Sell robot kits [fail:copy]",
    });
    await eventually(
      async () => {
        const statuses = await taskStatuses(s.db, submitted.workstreamId);
        return (
          statuses.copy === "escalated" &&
          statuses.launch === "succeeded" &&
          statuses["alt-copy"] === "succeeded"
        );
      },
      40_000,
      "replanned and finished",
    );
    const statuses = await taskStatuses(s.db, submitted.workstreamId);
    expect(statuses.design).toBe("succeeded");
    expect(Object.entries(statuses).filter(([key]) => key.startsWith("replan-"))).toEqual([
      ["replan-1-copy", "succeeded"],
    ]);
    const [rewired] = await s.db.$queryRawUnsafe<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM event_log WHERE type = 'orchestration.task_dependencies_changed' AND correlation_id = 'cor_replan'`,
    );
    expect(rewired!.n).toBe(1);
  }, 60_000);
});

describe("pause, resume and cancel (ORCH-006)", () => {
  it("pauses a running task (its process is stopped, the attempt not counted) and resumes it", async () => {
    const ventureId = await readyVenture(s.db, portfolioId);
    const submitted = await submitWorkstream({
      db: s.db,
      actor: founder,
      correlationId: "cor_pause",
      ventureId,
      title: "Long job",
      tasks: [
        {
          key: "job",
          title: "Sleep then print",
          role: "worker",
          level: "L3",
          inputs: { program: "sh", script: "sleep 2; echo finished" },
        },
      ],
    });
    const job = submitted.taskIds.job!;
    await eventually(async () => (await status(job)) === "running", 10_000, "running");
    await pauseTask({
      db: s.db,
      actor: founder,
      correlationId: "cor_pause",
      ventureId,
      taskId: job,
      reason: "hold on",
    });
    expect(await status(job)).toBe("paused");
    // The supervisor's process is stopped at the next lease renewal.
    await eventually(async () => stack.agents.supervisor?.runningCount === 0, 5_000, "process stopped");
    await new Promise((r) => setTimeout(r, 300));
    expect(await status(job)).toBe("paused");
    await resumeTask({ db: s.db, actor: founder, correlationId: "cor_pause", ventureId, taskId: job });
    await eventually(async () => (await status(job)) === "succeeded", 15_000, "succeeded after resume");
    const detail = await getTask({ db: s.db, ventureId, taskId: job });
    expect(detail.attempt).toBe(1);
    expect(detail.output?.stdout).toBe("finished\n");
  }, 30_000);

  it("cancels a task and every task that depends on it", async () => {
    const ventureId = await readyVenture(s.db, portfolioId);
    await pauseVenture({ db: s.db, actor: founder, correlationId: "cor_cancel", ventureId });
    const submitted = await submitWorkstream({
      db: s.db,
      actor: founder,
      correlationId: "cor_cancel",
      ventureId,
      title: "Chain",
      tasks: [
        { key: "a", title: "A", role: "researcher" },
        { key: "b", title: "B", role: "researcher", dependsOn: ["a"] },
        { key: "c", title: "C", role: "researcher", dependsOn: ["b"] },
        { key: "d", title: "D", role: "researcher" },
      ],
    });
    const result = await cancelTask({
      db: s.db,
      actor: founder,
      correlationId: "cor_cancel",
      ventureId,
      taskId: submitted.taskIds.a!,
    });
    expect(result.cancelled.sort()).toEqual(
      [submitted.taskIds.a, submitted.taskIds.b, submitted.taskIds.c].sort(),
    );
    expect(await taskStatuses(s.db, submitted.workstreamId)).toEqual({
      a: "cancelled",
      b: "cancelled",
      c: "cancelled",
      d: "ready",
    });
    // Cancelling again changes nothing.
    expect(
      (
        await cancelTask({
          db: s.db,
          actor: founder,
          correlationId: "cor_cancel",
          ventureId,
          taskId: submitted.taskIds.a!,
        })
      ).changed,
    ).toBe(false);
  });

  it("dispatches nothing of a paused venture until it resumes", async () => {
    const ventureId = await readyVenture(s.db, portfolioId);
    await pauseVenture({
      db: s.db,
      actor: founder,
      correlationId: "cor_vpause",
      ventureId,
      reason: "review",
    });
    const submitted = await submitWorkstream({
      db: s.db,
      actor: founder,
      correlationId: "cor_vpause",
      ventureId,
      title: "Waits",
      tasks: [{ key: "x", title: "X", role: "researcher", inputs: { script: [{ answer: "x" }] } }],
    });
    await new Promise((r) => setTimeout(r, 600));
    expect(await status(submitted.taskIds.x!)).toBe("ready");
    await resumeVenture({ db: s.db, actor: founder, correlationId: "cor_vpause", ventureId });
    await eventually(async () => (await status(submitted.taskIds.x!)) === "succeeded", 10_000);
  }, 20_000);

  it("cancels a workstream, stopping its running task", async () => {
    const ventureId = await readyVenture(s.db, portfolioId);
    const submitted = await submitWorkstream({
      db: s.db,
      actor: founder,
      correlationId: "cor_wcancel",
      ventureId,
      title: "To cancel",
      tasks: [
        {
          key: "long",
          title: "Long",
          role: "worker",
          level: "L3",
          inputs: { program: "sh", script: "sleep 5" },
        },
        { key: "next", title: "Next", role: "researcher", dependsOn: ["long"] },
      ],
    });
    await eventually(async () => (await status(submitted.taskIds.long!)) === "running", 10_000);
    await cancelWorkstream({
      db: s.db,
      actor: founder,
      correlationId: "cor_wcancel",
      ventureId,
      workstreamId: submitted.workstreamId,
    });
    expect(await taskStatuses(s.db, submitted.workstreamId)).toEqual({
      long: "cancelled",
      next: "cancelled",
    });
    await eventually(async () => stack.agents.supervisor?.runningCount === 0, 5_000, "process stopped");
  }, 20_000);
});

describe("the kill-switch (SPEC invariant 6)", () => {
  it("dispatches nothing while paused, stops running work, and continues after resume", async () => {
    const ventureId = await readyVenture(s.db, portfolioId);
    const submitted = await submitWorkstream({
      db: s.db,
      actor: founder,
      correlationId: "cor_killswitch",
      ventureId,
      title: "Kill-switch",
      tasks: [
        {
          key: "long",
          title: "Long",
          role: "worker",
          level: "L3",
          inputs: { program: "sh", script: "sleep 2; echo done" },
        },
        { key: "later", title: "Later", role: "researcher", inputs: { script: [{ answer: "later" }] } },
      ],
    });
    const long = submitted.taskIds.long!;
    const later = submitted.taskIds.later!;
    await eventually(
      async () => (await status(long)) === "running" && (await status(later)) === "succeeded",
      10_000,
    );
    const control = {
      db: s.db,
      actor: founder,
      actorName: "Founder",
      correlationId: "cor_killswitch",
      reason: "stop everything",
      fanout: null,
    };
    await pause(control);
    try {
      // The running run notices at its next lease renewal: stopped, attempt not counted, back to ready.
      await eventually(async () => (await status(long)) === "ready", 10_000, "run stopped");
      expect(stack.agents.supervisor?.runningCount).toBe(0);
      const more = await submitWorkstream({
        db: s.db,
        actor: founder,
        correlationId: "cor_killswitch",
        ventureId,
        title: "While paused",
        tasks: [{ key: "x", title: "X", role: "researcher", inputs: { script: [{ answer: "x" }] } }],
      });
      await new Promise((r) => setTimeout(r, 700));
      expect(await status(more.taskIds.x!)).toBe("ready");
      expect(await status(long)).toBe("ready");
    } finally {
      await resume({ ...control, reason: "all clear" });
    }
    stack.scheduler.wake();
    await eventually(async () => (await status(long)) === "succeeded", 15_000, "resumed and finished");
    const detail = await getTask({ db: s.db, ventureId, taskId: long });
    expect(detail.history.map((h) => h.type)).toContain("orchestration.task_run_aborted");
    expect(detail.attempt).toBe(1);
  }, 40_000);
});

describe("scheduling (ORCH-005)", () => {
  it("makes an expensive task wait for budget while a cheap one runs, and runs it once funded", async () => {
    const ventureId = await readyVenture(s.db, portfolioId, { budgetMinor: 100n });
    const submitted = await submitWorkstream({
      db: s.db,
      actor: founder,
      correlationId: "cor_budget",
      ventureId,
      title: "Budget",
      tasks: [
        {
          key: "big",
          title: "Big",
          role: "researcher",
          estimatedCostMinor: "500",
          priority: 10,
          inputs: { script: [{ answer: "big" }] },
        },
        {
          key: "small",
          title: "Small",
          role: "researcher",
          estimatedCostMinor: "50",
          inputs: { script: [{ answer: "small" }] },
        },
      ],
    });
    await eventually(
      async () => (await status(submitted.taskIds.small!)) === "succeeded",
      10_000,
      "small ran",
    );
    expect(await status(submitted.taskIds.big!)).toBe("waiting_budget");
    const waited = await getTask({ db: s.db, ventureId, taskId: submitted.taskIds.big! });
    expect(waited.history.map((h) => h.type)).toContain("orchestration.task_waiting_budget");
    await fundVenture(s.db, portfolioId, ventureId, 1_000n);
    stack.scheduler.wake();
    await eventually(
      async () => (await status(submitted.taskIds.big!)) === "succeeded",
      10_000,
      "big ran once funded",
    );
  }, 30_000);

  it("never runs more of a venture's tasks at once than its concurrency limit", async () => {
    const ventureId = await readyVenture(s.db, portfolioId);
    await setVentureLimits({
      db: s.db,
      actor: founder,
      correlationId: "cor_limit",
      ventureId,
      concurrencyLimit: 1,
      weight: 1,
    });
    const submitted = await submitWorkstream({
      db: s.db,
      actor: founder,
      correlationId: "cor_limit",
      ventureId,
      title: "One at a time",
      tasks: ["a", "b", "c"].map((key) => ({
        key,
        title: key,
        role: "researcher",
        inputs: { script: [{ answer: key }] },
      })),
    });
    await eventually(
      async () =>
        Object.values(await taskStatuses(s.db, submitted.workstreamId)).every((x) => x === "succeeded"),
      20_000,
    );
    // Run start (stamped by the agent after it received the dispatch) against the previous finish;
    // the dispatch stamp is taken when the scheduler's pass begins and may precede it by a few ms.
    const rows = await s.db.$queryRawUnsafe<Array<{ started_at: Date; finished_at: Date }>>(
      "SELECT started_at, finished_at FROM tasks WHERE workstream_id = $1 ORDER BY started_at",
      submitted.workstreamId,
    );
    for (let i = 1; i < rows.length; i++)
      expect(rows[i]!.started_at.getTime()).toBeGreaterThanOrEqual(rows[i - 1]!.finished_at.getTime());
  }, 30_000);

  it("escalates a waiting task whose deadline passes", async () => {
    const ventureId = await readyVenture(s.db, portfolioId);
    await pauseVenture({ db: s.db, actor: founder, correlationId: "cor_deadline", ventureId });
    const submitted = await submitWorkstream({
      db: s.db,
      actor: founder,
      correlationId: "cor_deadline",
      ventureId,
      title: "Deadline",
      tasks: [{ key: "late", title: "Late", role: "researcher", deadlineAt: new Date(Date.now() + 400) }],
    });
    await eventually(
      async () => (await status(submitted.taskIds.late!)) === "escalated",
      10_000,
      "escalated at deadline",
    );
  }, 20_000);
});

describe("bad input", () => {
  it("refuses a cyclic DAG naming the cycle and writes nothing", async () => {
    const ventureId = await readyVenture(s.db, portfolioId);
    const before = await eventCount();
    const tasksBefore = await s.db.task.count();
    const attempt = submitWorkstream({
      db: s.db,
      actor: founder,
      correlationId: "cor_bad",
      ventureId,
      title: "Cyclic",
      tasks: [
        { key: "a", title: "A", role: "researcher", dependsOn: ["b"] },
        { key: "b", title: "B", role: "researcher", dependsOn: ["a"] },
        { key: "c", title: "C", role: "nobody" },
      ],
    });
    await expect(attempt).rejects.toThrowError(AppError);
    const error = (await attempt.catch((e: unknown) => e)) as AppError;
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.details.fields).toMatchObject({ "tasks[2].role": expect.stringMatching(/unknown role/) });
    const cyclic = submitWorkstream({
      db: s.db,
      actor: founder,
      correlationId: "cor_bad",
      ventureId,
      title: "Cyclic",
      tasks: [
        { key: "a", title: "A", role: "researcher", dependsOn: ["b"] },
        { key: "b", title: "B", role: "researcher", dependsOn: ["a"] },
        { key: "x", title: "X", role: "researcher", dependsOn: ["ghost"] },
      ],
    });
    const cycleError = (await cyclic.catch((e: unknown) => e)) as AppError;
    expect(cycleError.details.fields).toMatchObject({
      tasks: expect.stringMatching(/cycle: (a → b → a|b → a → b)/),
      "tasks[2].dependsOn[0]": 'unknown task "ghost"',
    });
    expect(await eventCount()).toBe(before);
    expect(await s.db.task.count()).toBe(tasksBefore);
  });
});

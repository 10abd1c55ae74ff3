import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  backoffDelayMs,
  decideAttemptFailure,
  decideCancel,
  decideFounderRetry,
  decidePause,
  resumeTarget,
  type TaskStatus,
  taskStatuses,
} from "./task-rules";

const now = new Date("2026-11-27T12:00:00Z");

describe("retry policy", () => {
  it("backs off exponentially up to the cap", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 1, max: 40 }),
        (base, cap, n) => {
          const delay = backoffDelayMs({ backoffMs: base, backoffMaxMs: cap }, n);
          expect(delay).toBeLessThanOrEqual(Math.max(cap, base));
          expect(delay).toBeGreaterThanOrEqual(Math.min(base, Math.max(cap, base)));
          expect(backoffDelayMs({ backoffMs: base, backoffMaxMs: cap }, n + 1)).toBeGreaterThanOrEqual(delay);
        },
      ),
    );
    expect([1, 2, 3, 4].map((n) => backoffDelayMs({ backoffMs: 100, backoffMaxMs: 500 }, n))).toEqual([
      100, 200, 400, 500,
    ]);
  });

  it("retries while attempts and deadline allow, and escalates otherwise", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 12 }),
        fc.boolean(),
        fc.option(fc.integer({ min: 1, max: 100_000 }), { nil: null }),
        (maxAttempts, attempt, retryable, deadlineInMs) => {
          const policy = {
            maxAttempts,
            backoffMs: 1_000,
            backoffMaxMs: 8_000,
            timeoutMs: 1_000,
            deadlineAt: deadlineInMs === null ? null : new Date(now.getTime() + deadlineInMs),
          };
          const decision = decideAttemptFailure(policy, attempt, retryable, now);
          const next = now.getTime() + backoffDelayMs(policy, attempt);
          const shouldRetry =
            retryable &&
            attempt < maxAttempts &&
            (policy.deadlineAt === null || next < policy.deadlineAt.getTime());
          expect(decision.kind).toBe(shouldRetry ? "retry" : "escalate");
          if (decision.kind === "retry") expect(decision.nextAttemptAt.getTime()).toBe(next);
        },
      ),
    );
  });
});

describe("pause, resume, cancel, founder retry", () => {
  const status = fc.constantFrom<TaskStatus>(...taskStatuses);

  it("pauses anything unfinished once, and refuses finished tasks", () => {
    fc.assert(
      fc.property(status, (s) => {
        if (s === "succeeded" || s === "cancelled")
          expect(() => decidePause("tsk_x", s)).toThrowError(/cannot be paused/);
        else if (s === "paused") expect(decidePause("tsk_x", s)).toBeNull();
        else expect(decidePause("tsk_x", s)).toEqual({ from: s });
      }),
    );
  });

  it("resumes to where the task can go on: waiting states kept, runs start over", () => {
    expect(resumeTarget("running", 0)).toBe("ready");
    expect(resumeTarget("dispatched", 0)).toBe("ready");
    expect(resumeTarget("pending", 2)).toBe("pending");
    expect(resumeTarget("pending", 0)).toBe("ready");
    expect(resumeTarget("escalated", 0)).toBe("escalated");
    expect(resumeTarget("retry_wait", 0)).toBe("retry_wait");
    expect(resumeTarget("waiting_budget", 0)).toBe("ready");
  });

  it("cancels anything but a success, once", () => {
    expect(decideCancel("tsk_x", "cancelled")).toBeNull();
    expect(() => decideCancel("tsk_x", "succeeded")).toThrowError(/succeeded and cannot be cancelled/);
    expect(decideCancel("tsk_x", "running")).toEqual({ from: "running" });
  });

  it("retries escalated tasks; tasks already on their way need nothing", () => {
    expect(decideFounderRetry("tsk_x", "escalated", 0)).toEqual({ to: "ready" });
    expect(decideFounderRetry("tsk_x", "escalated", 1)).toEqual({ to: "pending" });
    expect(decideFounderRetry("tsk_x", "ready", 0)).toBeNull();
    expect(() => decideFounderRetry("tsk_x", "succeeded", 0)).toThrowError(/cannot be retried/);
  });
});

import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { byPriority, planDispatch, type SchedulingCandidate, type SchedulingVenture } from "./scheduling";

const ventureIds = ["ven_a", "ven_b", "ven_c", "ven_d"];

const scenario = fc
  .record({
    ventures: fc.uniqueArray(
      fc.record({
        ventureId: fc.constantFrom(...ventureIds),
        concurrencyLimit: fc.integer({ min: 0, max: 8 }),
        weight: fc.integer({ min: 1, max: 4 }),
        inFlight: fc.integer({ min: 0, max: 6 }),
        budgetMinor: fc.bigInt({ min: 0n, max: 2_000n }),
      }),
      { selector: (v) => v.ventureId, minLength: 1, maxLength: 4 },
    ),
    candidates: fc.array(
      fc.record({
        ventureId: fc.constantFrom(...ventureIds),
        priority: fc.integer({ min: -2, max: 2 }),
        estimatedCostMinor: fc.bigInt({ min: 0n, max: 500n }),
        waitingBudget: fc.boolean(),
      }),
      { maxLength: 40 },
    ),
    globalFree: fc.integer({ min: 0, max: 20 }),
  })
  .map(({ ventures, candidates, globalFree }) => ({
    ventures: ventures as SchedulingVenture[],
    candidates: candidates.map((c, i): SchedulingCandidate => ({ ...c, taskId: `tsk_${i}`, order: i })),
    globalFree,
  }));

describe("planDispatch", () => {
  it("never exceeds global capacity, venture limits or venture budgets", () => {
    fc.assert(
      fc.property(scenario, ({ ventures, candidates, globalFree }) => {
        const plan = planDispatch({ ventures, candidates, globalFree });
        expect(plan.dispatch.length).toBeLessThanOrEqual(globalFree);
        expect(new Set(plan.dispatch).size).toBe(plan.dispatch.length);
        const byId = new Map(candidates.map((c) => [c.taskId, c]));
        for (const v of ventures) {
          const mine = plan.dispatch.map((id) => byId.get(id)!).filter((c) => c.ventureId === v.ventureId);
          expect(v.inFlight + mine.length <= Math.max(v.concurrencyLimit, v.inFlight)).toBe(true);
          if (mine.length > 0) expect(v.inFlight + mine.length).toBeLessThanOrEqual(v.concurrencyLimit);
          const spent = mine.reduce((sum, c) => sum + c.estimatedCostMinor, 0n);
          expect(spent).toBeLessThanOrEqual(v.budgetMinor);
        }
        // Tasks of ventures not offered (unknown) are never dispatched.
        const known = new Set(ventures.map((v) => v.ventureId));
        for (const id of plan.dispatch) expect(known.has(byId.get(id)!.ventureId)).toBe(true);
      }),
    );
  });

  it("dispatches within a venture in priority order, skipping only what the budget cannot pay", () => {
    fc.assert(
      fc.property(scenario, ({ ventures, candidates, globalFree }) => {
        const plan = planDispatch({ ventures, candidates, globalFree });
        const dispatched = new Set(plan.dispatch);
        const waiting = new Set(plan.waitBudget.map((w) => w.taskId));
        for (const v of ventures) {
          const queue = candidates.filter((c) => c.ventureId === v.ventureId).sort(byPriority);
          // The handled part of the queue is a prefix: every candidate before the last dispatched or
          // waiting one was either dispatched or found too expensive.
          const handled = queue.map((c) => dispatched.has(c.taskId) || waiting.has(c.taskId));
          const last = handled.lastIndexOf(true);
          for (let i = 0; i <= last; i++) expect(handled[i]).toBe(true);
          // A waiting candidate did not fit what was left when it was met.
          let left = v.budgetMinor;
          for (const c of queue.slice(0, last + 1)) {
            if (dispatched.has(c.taskId)) left -= c.estimatedCostMinor;
            else expect(c.estimatedCostMinor > left).toBe(true);
          }
        }
      }),
    );
  });

  it("is work-conserving: an affordable task waits only when its venture or the system is full", () => {
    fc.assert(
      fc.property(scenario, ({ ventures, candidates, globalFree }) => {
        const plan = planDispatch({ ventures, candidates, globalFree });
        const handled = new Set([...plan.dispatch, ...plan.waitBudget.map((w) => w.taskId)]);
        const dispatchedBy = new Map<string, number>();
        for (const id of plan.dispatch) {
          const v = candidates.find((c) => c.taskId === id)!.ventureId;
          dispatchedBy.set(v, (dispatchedBy.get(v) ?? 0) + 1);
        }
        for (const v of ventures) {
          const untouched = candidates.filter((c) => c.ventureId === v.ventureId && !handled.has(c.taskId));
          if (untouched.length === 0) continue;
          const full = v.inFlight + (dispatchedBy.get(v.ventureId) ?? 0) >= v.concurrencyLimit;
          expect(full || plan.dispatch.length === globalFree).toBe(true);
        }
      }),
    );
  });

  it("shares scarce capacity max-min fairly by weight", () => {
    fc.assert(
      fc.property(scenario, ({ ventures, candidates, globalFree }) => {
        const plan = planDispatch({ ventures, candidates, globalFree });
        const handled = new Set([...plan.dispatch, ...plan.waitBudget.map((w) => w.taskId)]);
        const got = new Map<string, number>();
        for (const id of plan.dispatch) {
          const v = candidates.find((c) => c.taskId === id)!.ventureId;
          got.set(v, (got.get(v) ?? 0) + 1);
        }
        for (const a of ventures) {
          // a still wanted a slot: it has untouched candidates and room under its limit.
          const wants =
            candidates.some((c) => c.ventureId === a.ventureId && !handled.has(c.taskId)) &&
            a.inFlight + (got.get(a.ventureId) ?? 0) < a.concurrencyLimit;
          if (!wants) continue;
          for (const b of ventures) {
            const gb = got.get(b.ventureId) ?? 0;
            if (b === a || gb === 0) continue;
            // b's last slot was granted when b's share was not above a's final share.
            const shareBBefore = (b.inFlight + gb - 1) * a.weight;
            const shareA = (a.inFlight + (got.get(a.ventureId) ?? 0)) * b.weight;
            expect(shareBBefore).toBeLessThanOrEqual(shareA);
          }
        }
      }),
    );
  });

  it("gives one venture's single task a slot even when another has a thousand ready", () => {
    const candidates: SchedulingCandidate[] = [
      ...Array.from({ length: 1000 }, (_, i) => ({
        taskId: `a${i}`,
        ventureId: "ven_a",
        priority: 0,
        order: i,
        estimatedCostMinor: 0n,
        waitingBudget: false,
      })),
      {
        taskId: "b0",
        ventureId: "ven_b",
        priority: 0,
        order: 2000,
        estimatedCostMinor: 0n,
        waitingBudget: false,
      },
    ];
    const plan = planDispatch({
      ventures: [
        { ventureId: "ven_a", concurrencyLimit: 100, weight: 1, inFlight: 0, budgetMinor: 0n },
        { ventureId: "ven_b", concurrencyLimit: 100, weight: 1, inFlight: 0, budgetMinor: 0n },
      ],
      candidates,
      globalFree: 4,
    });
    expect(plan.dispatch).toContain("b0");
    expect(plan.dispatch).toHaveLength(4);
  });

  it("makes an expensive task wait for budget while a cheaper one goes ahead", () => {
    const plan = planDispatch({
      ventures: [{ ventureId: "ven_a", concurrencyLimit: 5, weight: 1, inFlight: 0, budgetMinor: 100n }],
      candidates: [
        {
          taskId: "big",
          ventureId: "ven_a",
          priority: 5,
          order: 0,
          estimatedCostMinor: 500n,
          waitingBudget: false,
        },
        {
          taskId: "small",
          ventureId: "ven_a",
          priority: 0,
          order: 1,
          estimatedCostMinor: 50n,
          waitingBudget: false,
        },
      ],
      globalFree: 10,
    });
    expect(plan.dispatch).toEqual(["small"]);
    expect(plan.waitBudget).toEqual([{ taskId: "big", availableMinor: 100n, newlyWaiting: true }]);
  });
});

import { describe, expect, it } from "vitest";
import { ventureHealth } from "./venture-health";

const calm = {
  status: "ready",
  paused: false,
  frozen: false,
  runwayDays: 365,
  availableMinor: 100_000n,
  tasks: { escalated: 0, waitingBudget: 0 },
};

describe("venture health", () => {
  it("is healthy with a long runway and nothing stuck", () => {
    expect(ventureHealth(calm)).toEqual({ health: "healthy", reasons: [] });
    expect(ventureHealth({ ...calm, runwayDays: null }).health).toBe("healthy");
  });

  it("is critical when frozen, nearly out of runway, or out of budget with work waiting", () => {
    expect(ventureHealth({ ...calm, frozen: true })).toMatchObject({
      health: "critical",
      reasons: ["Treasury frozen"],
    });
    expect(ventureHealth({ ...calm, runwayDays: 13 }).health).toBe("critical");
    expect(
      ventureHealth({ ...calm, availableMinor: 0n, tasks: { escalated: 0, waitingBudget: 2 } }).reasons,
    ).toEqual(["Out of budget: 2 tasks waiting for budget"]);
  });

  it("warns about escalations, pauses, a short runway and work waiting for budget, naming each", () => {
    const result = ventureHealth({
      ...calm,
      paused: true,
      runwayDays: 30,
      tasks: { escalated: 1, waitingBudget: 1 },
    });
    expect(result.health).toBe("warning");
    expect(result.reasons).toEqual([
      "Runway 30 days (under 60)",
      "1 task waiting for budget",
      "1 escalated task",
      "Paused",
    ]);
  });
});

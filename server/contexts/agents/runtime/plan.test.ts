import { describe, expect, it } from "vitest";
import { InvalidPlanError, parsePlan } from "./plan";

describe("the planner's plan", () => {
  it("reads the JSON object out of the answer", () => {
    const plan = parsePlan(
      'Here is the plan:\n{"tasks":[{"key":"r","title":"Research","role":"researcher","dependsOn":[],"estimatedCostMinor":"10","brief":"Look"}]}',
    );
    expect(plan.tasks).toEqual([
      {
        key: "r",
        title: "Research",
        role: "researcher",
        dependsOn: [],
        estimatedCostMinor: "10",
        inputs: { brief: "Look" },
      },
    ]);
  });

  it("refuses text that is not a plan, saying why", () => {
    expect(() => parsePlan("I could not plan this")).toThrowError(InvalidPlanError);
    expect(() => parsePlan('{"tasks": [}')).toThrowError(/not valid JSON/);
    expect(() => parsePlan('{"tasks":[{"key":"r"}]}')).toThrowError(/tasks.0.title/);
    expect(() => parsePlan('{"tasks":[]}')).toThrowError(/tasks/);
  });
});

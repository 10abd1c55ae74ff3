// The kill-switch's pure rules: given a state, when a pause or resume is asked, then which event
// and which next state — or a refusal naming the field.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "@/server/shared/errors";
import {
  type ControlStateView,
  decidePause,
  decideResume,
  describePause,
  parseReason,
  reasonMaxLength,
} from "./control-state";

const now = new Date("2026-11-27T10:00:00.000Z");
const actor = { type: "user" as const, id: "usr_1" };

function state(s: "running" | "paused", epoch: number): ControlStateView {
  return {
    scope: "global",
    state: s,
    epoch,
    since: new Date("2026-11-27T09:00:00.000Z"),
    by: { type: "system", id: "migration", name: "system" },
    reason: "initial state",
  };
}

describe("decidePause / decideResume", () => {
  it("given running, a pause records control.paused at the next epoch with who, when and why", () => {
    const decision = decidePause(state("running", 4), {
      actor,
      actorName: "Ada",
      reason: "  fraud alert ",
      now,
    });
    expect(decision).toEqual({
      changed: true,
      event: { type: "control.paused", payload: { scope: "global", epoch: 5, reason: "fraud alert" } },
      state: {
        scope: "global",
        state: "paused",
        epoch: 5,
        since: now,
        by: { type: "user", id: "usr_1", name: "Ada" },
        reason: "fraud alert",
      },
    });
  });

  it("given paused, a pause changes nothing; given running, a resume changes nothing", () => {
    const paused = state("paused", 5);
    expect(decidePause(paused, { actor, actorName: "Ada", reason: "again", now })).toEqual({
      changed: false,
      state: paused,
    });
    const running = state("running", 6);
    expect(decideResume(running, { actor, actorName: "Ada", reason: "again", now })).toEqual({
      changed: false,
      state: running,
    });
  });

  it("given paused, a resume records control.resumed", () => {
    const decision = decideResume(state("paused", 5), { actor, actorName: "Ada", reason: "all clear", now });
    expect(decision.changed && decision.event).toEqual({
      type: "control.resumed",
      payload: { scope: "global", epoch: 6, reason: "all clear" },
    });
  });

  it("refuses a missing, blank, short or overlong reason with BAD_REQUEST naming the field", () => {
    for (const reason of [undefined, "", "   ", "ab", "x".repeat(reasonMaxLength + 1)]) {
      const run = () =>
        decidePause(state("running", 0), { actor, actorName: "Ada", reason: reason as string, now });
      expect(run).toThrow(AppError);
      try {
        run();
      } catch (error) {
        expect((error as AppError).code).toBe("BAD_REQUEST");
        expect(Object.keys((error as AppError).details.fields ?? {})).toEqual(["reason"]);
      }
    }
  });

  it("alternating pauses and resumes advance the epoch by one each time; repeats never do", () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 40 }), (asks) => {
        let current = state("running", 0);
        let changes = 0;
        for (const wantPause of asks) {
          const decide = wantPause ? decidePause : decideResume;
          const decision = decide(current, { actor, actorName: "Ada", reason: "property", now });
          if (decision.changed) changes++;
          current = decision.state;
          expect(current.state).toBe(wantPause ? "paused" : "running");
        }
        expect(current.epoch).toBe(changes);
        // Paused epochs are odd: a pause and the resume that ends it are consecutive.
        expect(current.state === "paused").toBe(current.epoch % 2 === 1);
      }),
    );
  });
});

describe("parseReason and describePause", () => {
  it("trims the reason", () => {
    expect(parseReason("  checking the ledger  ")).toBe("checking the ledger");
  });

  it("describes a pause the way the banner and refusals show it", () => {
    expect(
      describePause({ by: { type: "user", id: "usr_1", name: "Ada" }, since: now, reason: "fraud alert" }),
    ).toBe("Paused by Ada since 2026-11-27T10:00:00.000Z: fraud alert");
  });
});

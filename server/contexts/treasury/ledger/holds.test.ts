import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "@/server/shared/errors";
import { assertValidHolds, decideHold, type HoldCommand, type HoldState } from "./holds";

const now = new Date("2026-11-27T12:00:00Z");
const open: HoldState = {
  id: "hld_1",
  amountMinor: 1000n,
  expiresAt: new Date("2026-11-27T13:00:00Z"),
  status: "open",
};

function refusal(attempt: () => unknown): AppError {
  try {
    attempt();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error("expected an AppError");
}

describe("hold state machine", () => {
  it("posts all of a hold by default", () => {
    expect(decideHold(open, { kind: "post" }, now)).toEqual({
      outcome: "posted",
      postedMinor: 1000n,
      releasedMinor: 0n,
    });
  });

  it("posts part of a hold and releases the remainder", () => {
    expect(decideHold(open, { kind: "post", amountMinor: 300n }, now)).toEqual({
      outcome: "posted",
      postedMinor: 300n,
      releasedMinor: 700n,
    });
  });

  it("refuses to post more than the hold holds, naming the amount", () => {
    const error = refusal(() => decideHold(open, { kind: "post", amountMinor: 1001n }, now));
    expect(error.code).toBe("UNPROCESSABLE");
    expect(error.details).toMatchObject({
      reason: "exceeds_hold",
      heldMinor: "1000",
      requestedMinor: "1001",
    });
    expect(error.details.fields).toHaveProperty("amountMinor");
  });

  it("voids by releasing everything", () => {
    expect(decideHold(open, { kind: "void" }, now)).toEqual({
      outcome: "voided",
      postedMinor: 0n,
      releasedMinor: 1000n,
    });
  });

  it("expires only from its expiry on, and after expiry can only expire", () => {
    expect(refusal(() => decideHold(open, { kind: "expire" }, now)).details.reason).toBe("hold_not_expired");
    const at = open.expiresAt;
    expect(decideHold(open, { kind: "expire" }, at)).toEqual({
      outcome: "expired",
      postedMinor: 0n,
      releasedMinor: 1000n,
    });
    expect(refusal(() => decideHold(open, { kind: "post" }, at)).details.reason).toBe("hold_expired");
    expect(refusal(() => decideHold(open, { kind: "void" }, at)).details.reason).toBe("hold_expired");
  });

  it("resolves at most once, whatever comes next", () => {
    const command: fc.Arbitrary<HoldCommand> = fc.oneof(
      fc.record({ kind: fc.constant("post" as const), amountMinor: fc.bigInt({ min: 1n, max: 2000n }) }),
      fc.constant({ kind: "void" as const }),
      fc.constant({ kind: "expire" as const }),
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(command, fc.integer({ min: 0, max: 7_200_000 })), { maxLength: 8 }),
        (steps) => {
          let state = open;
          let resolutions = 0;
          for (const [cmd, offsetMs] of steps) {
            try {
              const decision = decideHold(state, cmd, new Date(now.getTime() + offsetMs));
              resolutions += 1;
              expect(decision.postedMinor + decision.releasedMinor).toBe(state.amountMinor);
              state = { ...state, status: decision.outcome };
            } catch (error) {
              expect(error).toBeInstanceOf(AppError);
            }
          }
          expect(resolutions).toBeLessThanOrEqual(1);
        },
      ),
    );
  });
});

describe("hold input", () => {
  const valid = {
    id: "hld_1",
    debitAccountId: "ven_1:expense:ads:USD",
    creditAccountId: "ven_1:budget:USD",
    amountMinor: 500n,
    expiresAt: new Date(now.getTime() + 60_000),
  };

  it("accepts a well-formed hold", () => {
    expect(() => assertValidHolds([valid], now)).not.toThrow();
  });

  it("names zero, negative and non-bigint amounts, the same account twice and a far expiry", () => {
    const fields = (hold: Partial<typeof valid>) =>
      refusal(() => assertValidHolds([{ ...valid, ...hold }], now)).details.fields;
    expect(fields({ amountMinor: 0n })).toEqual({ amountMinor: "must be positive" });
    expect(fields({ amountMinor: -1n })).toEqual({ amountMinor: "must be positive" });
    expect(fields({ amountMinor: 5 as unknown as bigint })).toEqual({
      amountMinor: "a bigint of minor units",
    });
    expect(fields({ creditAccountId: valid.debitAccountId })).toEqual({
      creditAccountId: "must differ from debitAccountId",
    });
    expect(fields({ expiresAt: new Date(now.getTime() + 400 * 86_400_000) })).toEqual({
      expiresAt: "at most 366 days ahead",
    });
  });
});

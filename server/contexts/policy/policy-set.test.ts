import { describe, expect, it } from "vitest";
import { AppError } from "@/server/shared/errors";
import { defaultPolicyText } from "./defaults";
import {
  assertMayPublishPolicy,
  compileOrRefuse,
  decidePublishVersion,
  parsePolicyNote,
  parsePolicyScope,
} from "./policy-set";

function caught(fn: () => unknown): AppError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  throw new Error("expected an AppError");
}

describe("publishing rules", () => {
  it("lets only admins publish", () => {
    expect(() => assertMayPublishPolicy("admin", "pf_1")).not.toThrow();
    for (const role of ["founder", "finance_controller", "auditor", null] as const) {
      expect(caught(() => assertMayPublishPolicy(role, "pf_1")).code).toBe("FORBIDDEN");
    }
  });

  it("names the field for an unknown scope and an over-long note", () => {
    expect(caught(() => parsePolicyScope("payments")).details.fields).toHaveProperty("scope");
    expect(caught(() => parsePolicyNote("x".repeat(501))).details.fields).toHaveProperty("note");
    expect(parsePolicyNote("  ")).toBeNull();
  });

  it("refuses a bad text with every problem positioned under details.fields.text", () => {
    const error = caught(() =>
      compileOrRefuse(
        "treasury",
        '@id("a.x")\npermit (principal, action, resource) when { context.nope };\nforbid',
      ),
    );
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.details.fields?.text).toMatch(/^line 3, column \d+: /);
    expect(error.message).toMatch(/treasury policy text has \d+ problems?; first, line 3/);
    expect(error.details.problems).toEqual(expect.arrayContaining([expect.objectContaining({ line: 3 })]));
  });

  const { policySet } = compileOrRefuse("treasury", defaultPolicyText("treasury"));
  const command = { portfolioId: "pf_1", scope: "treasury" as const, text: "t", note: null, policySet };

  it("publishes the first version as number 1 on a new stream", () => {
    const decision = decidePublishVersion(command, {
      streamVersion: 0,
      latestNumber: 0,
      activeNumber: null,
      activeHash: null,
    });
    expect(decision).toMatchObject({
      kind: "publish",
      expectedVersion: 0,
      payload: { versionNumber: 1, previousVersionNumber: null, versionHash: policySet.versionHash },
    });
  });

  it("numbers after the latest version, even when an older one is active", () => {
    const decision = decidePublishVersion(command, {
      streamVersion: 5,
      latestNumber: 5,
      activeNumber: 3,
      activeHash: "a".repeat(64),
    });
    expect(decision).toMatchObject({
      kind: "publish",
      expectedVersion: 5,
      payload: { versionNumber: 6, previousVersionNumber: 3 },
    });
  });

  it("changes nothing when the text is already the active version", () => {
    const decision = decidePublishVersion(command, {
      streamVersion: 2,
      latestNumber: 2,
      activeNumber: 2,
      activeHash: policySet.versionHash,
    });
    expect(decision).toEqual({ kind: "unchanged", versionNumber: 2, versionHash: policySet.versionHash });
  });
});

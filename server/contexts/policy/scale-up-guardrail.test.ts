// The scale-up playbook's four-eyes guardrail (ADR 0017): a budget increase a playbook asks for
// needs two distinct approvers whatever its amount, under the default policy and under a published
// policy that would approve everything; it only ever makes a decision stricter.
import { describe, expect, it } from "vitest";
import { decideMoneyIntent, type MoneyIntentRequest } from "./decisions";
import { defaultPolicyText } from "./defaults";
import { type CompiledPolicySet, compilePolicySet } from "./engine";
import { scaleUpPlaybookCounterparty } from "./guardrails";

function compiled(text: string): CompiledPolicySet {
  const result = compilePolicySet("treasury", text);
  if (!result.ok) throw new Error(`test policy does not compile: ${JSON.stringify(result.problems)}`);
  return result.policySet;
}

const defaults = compiled(defaultPolicyText("treasury"));
const permissive = compiled('@id("test.allow-all") permit (principal, action, resource);');

function allocation(
  policy: CompiledPolicySet,
  counterpartyId: string,
  amountMinor: bigint,
  rest: Partial<MoneyIntentRequest> = {},
): MoneyIntentRequest {
  return {
    policy,
    requester: { kind: "user", userId: "usr_founder", portfolioId: "pf_1", portfolioRole: "founder" },
    intent: {
      intentId: "mi_1",
      portfolioId: "pf_1",
      ventureId: "ven_1",
      amountMinor,
      currency: "USD",
      category: "budget_allocation",
      counterpartyId,
    },
    counterpartyAllowlist: [],
    frozen: false,
    paused: false,
    ...rest,
  };
}

describe("guardrail.scale-up-four-eyes", () => {
  it("asks two approvers for a playbook's budget increase far below the four-eyes threshold", () => {
    const decision = decideMoneyIntent(allocation(defaults, scaleUpPlaybookCounterparty, 1_000n));
    expect(decision.outcome).toBe("needs_approval");
    expect(decision.approvalsRequired).toBe(2);
    expect(decision.determiningPolicies).toContain("guardrail.scale-up-four-eyes");
    expect(decision.reasons.join(" ")).toMatch(/two distinct approvers/);
    // The same allocation asked for by a person at the form needs one approver.
    expect(decideMoneyIntent(allocation(defaults, "portfolio-treasury", 1_000n)).approvalsRequired).toBe(1);
  });

  it("holds under a published policy that would approve everything outright", () => {
    expect(decideMoneyIntent(allocation(permissive, "portfolio-treasury", 1_000n)).outcome).toBe("approve");
    const decision = decideMoneyIntent(allocation(permissive, scaleUpPlaybookCounterparty, 1_000n));
    expect(decision).toMatchObject({ outcome: "needs_approval", approvalsRequired: 2 });
  });

  it("never loosens a denial: paused, frozen and over the budget-move limit stay denied", () => {
    for (const rest of [{ paused: true }, { frozen: true }]) {
      expect(decideMoneyIntent(allocation(defaults, scaleUpPlaybookCounterparty, 1_000n, rest)).outcome).toBe(
        "deny",
      );
    }
    expect(decideMoneyIntent(allocation(defaults, scaleUpPlaybookCounterparty, 10_000_001n)).outcome).toBe(
      "deny",
    );
  });
});

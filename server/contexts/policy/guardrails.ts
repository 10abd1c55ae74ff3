// Guardrails: forbids compiled into every policy set of their scope, ahead of whatever an admin
// publishes. They hold the safety invariants that must not depend on the text of a version:
// while paused nothing is allowed (SPEC invariant 6), and while frozen no money intent passes
// (TREAS-007). Because a forbid always wins in Cedar, no published permit can override them, and
// a version that leaves them out cannot remove them. Ids starting with "guardrail." are reserved.
import type { PolicyScope } from "@/server/shared/events/catalog/policy";

export const guardrailIdPrefix = "guardrail.";

const killSwitch = `
@id("guardrail.kill-switch")
@reason("The kill-switch is engaged: nothing is allowed until an authorized person resumes with a reason")
forbid (principal, action, resource)
when { context.paused };
`;

const treasuryFrozen = `
@id("guardrail.treasury-frozen")
@reason("The treasury is frozen: every money intent is denied until it is unfrozen")
forbid (principal, action in Action::"spend", resource)
when { context.frozen };
`;

/** The counterparty a scale-up playbook's budget increase names (ADR 0017). */
export const scaleUpPlaybookCounterparty = "scale-up-playbook";

// A budget increase a scale-up playbook asks for on its own (no person pressed a button) always
// needs two distinct approvers, whatever its amount and whatever a published version says (ADR
// 0017). A forbid on spend_with_single_approval also covers spend_without_approval, so the engine
// answers needs_approval with approvalsRequired 2 and names this guardrail in the decision. It can
// only make an intent stricter: anyone else naming this counterparty gets four eyes too.
const scaleUpFourEyes = `
@id("guardrail.scale-up-four-eyes")
@reason("A scale-up playbook's budget increase needs two distinct approvers (four eyes), whatever its amount")
forbid (principal, action in Action::"spend_with_single_approval", resource)
when { context.counterpartyId == "${scaleUpPlaybookCounterparty}" };
`;

const guardrails: Record<PolicyScope, string> = {
  treasury: `${killSwitch}${treasuryFrozen}${scaleUpFourEyes}`,
  tools: killSwitch,
  publishing: killSwitch,
};

export function guardrailText(scope: PolicyScope): string {
  return guardrails[scope];
}

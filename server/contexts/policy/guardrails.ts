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

const guardrails: Record<PolicyScope, string> = {
  treasury: `${killSwitch}${treasuryFrozen}`,
  tools: killSwitch,
  publishing: killSwitch,
};

export function guardrailText(scope: PolicyScope): string {
  return guardrails[scope];
}

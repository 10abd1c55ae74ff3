// The Cedar schema: the contract between the callers that build requests (treasury, the tool
// gateway, the artifact compiler) and the policies admins write. Every policy set is validated
// against it when published (strict mode), and every request is validated against it when
// decided, so a policy cannot refer to an attribute no caller supplies and a caller cannot leave
// one out. Each scope has its own schema with only its actions, so a treasury set cannot carry
// rules for tool calls by mistake. The schema is code, not data: it changes with the callers.
import type { PolicyScope } from "@/server/shared/events/catalog/policy";

/** Entity types shared by all scopes. No namespace, so policies read `Action::"spend"`. */
const entityTypes = `
// A portfolio of ventures; ventures, people and (through ventures) agents belong to one.
entity Portfolio;
entity Venture in [Portfolio];

// A person acting in a portfolio with one role: founder | finance_controller | auditor | admin.
entity User in [Portfolio] = { portfolioRole: String };

// An L2 specialist role from the role registry (AGENT-001) with its tool allowlist.
entity Role = { allowedTools: Set<Tool> };

// An agent run working for a venture. level is "L1" (planner), "L2" (specialist) or "L3"
// (supervised subprocess).
entity Agent in [Venture] = { role: Role, level: String };

entity Tool;

// An artifact to publish. reviewStatus follows ARTIF-007 (draft, in_review, approved, published);
// claimKinds are the kinds of claim the artifact makes (e.g. "pricing", "health").
entity Artifact in [Venture] = { kind: String, claimKinds: Set<String>, reviewStatus: String };
`;

/**
 * Money intents. Three actions express three outcomes the Cedar way:
 * spend_without_approval ⊂ spend_with_single_approval ⊂ spend. A policy on `action in
 * Action::"spend"` applies to all three; a forbid on spend_without_approval alone turns an
 * approval into needs_approval, and a forbid on spend_with_single_approval asks for four eyes.
 */
const treasuryActions = `
type SpendContext = {
  intentId: String,
  // Integer minor units of the currency (cents for USD), converted from bigint with a range check.
  amountMinor: Long,
  currency: String,
  category: String,
  counterpartyId: String,
  // The venture's counterparty allowlist (TREAS-005), from the treasury.
  counterpartyAllowlist: Set<String>,
  // This venture's treasury, or the whole portfolio's, is frozen (TREAS-007).
  frozen: Bool,
  // The kill-switch is engaged (CTRL-003).
  paused: Bool,
};
action "spend" appliesTo {
  principal: [User, Agent], resource: [Venture], context: SpendContext
};
action "spend_with_single_approval" in ["spend"] appliesTo {
  principal: [User, Agent], resource: [Venture], context: SpendContext
};
action "spend_without_approval" in ["spend_with_single_approval"] appliesTo {
  principal: [User, Agent], resource: [Venture], context: SpendContext
};
`;

const toolActions = `
type ToolCallContext = {
  taskId: String,
  // The tools the task's workload credential grants (AGENT-003): the task scope.
  taskScope: Set<Tool>,
  paused: Bool,
};
action "call_tool" appliesTo { principal: [Agent], resource: [Tool], context: ToolCallContext };
`;

const publishingActions = `
type PublishContext = { paused: Bool };
action "publish" appliesTo { principal: [User, Agent], resource: [Artifact], context: PublishContext };
`;

export const scopeActions = {
  treasury: ["spend", "spend_with_single_approval", "spend_without_approval"],
  tools: ["call_tool"],
  publishing: ["publish"],
} as const satisfies Record<PolicyScope, readonly string[]>;

export type PolicyAction = (typeof scopeActions)[PolicyScope][number];

const actionsByScope: Record<PolicyScope, string> = {
  treasury: treasuryActions,
  tools: toolActions,
  publishing: publishingActions,
};

export function cedarSchemaText(scope: PolicyScope): string {
  return `${entityTypes}\n${actionsByScope[scope]}`;
}

/** The name under which a scope's schema is pre-parsed in the wasm module. */
export function schemaName(scope: PolicyScope): string {
  return `venture-${scope}-v1`;
}

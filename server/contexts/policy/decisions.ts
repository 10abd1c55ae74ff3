// The three kinds of decision other contexts ask for, on the one engine. Each takes plain domain
// values (bigint minor units, ids, roles), builds the Cedar request the schema expects, and returns
// a PolicyDecisionRecord to embed in the event the decision authorised or refused.
import type { Role } from "@/server/shared/events/catalog";
import type { PolicyDecisionRecord } from "@/server/shared/events/catalog/policy";
import {
  type CedarEntity,
  type CedarRecord,
  type CompiledPolicySet,
  decide,
  decideActions,
  type EntityRef,
  type PolicyDecision,
  toCedarLong,
} from "./engine";

export type AgentLevel = "L1" | "L2" | "L3";

/** Who asks: a person in a portfolio, or an agent run working for a venture. */
export type PolicyPrincipal =
  | { kind: "user"; userId: string; portfolioId: string; portfolioRole: Role }
  | {
      kind: "agent";
      agentId: string;
      ventureId: string;
      portfolioId: string;
      role: string;
      level: AgentLevel;
    };

export type MoneyIntentRequest = {
  policy: CompiledPolicySet;
  requester: PolicyPrincipal;
  intent: {
    intentId: string;
    portfolioId: string;
    ventureId: string;
    amountMinor: bigint;
    currency: string;
    category: string;
    counterpartyId: string;
  };
  /** The venture's counterparty allowlist (TREAS-005). */
  counterpartyAllowlist: readonly string[];
  /** This venture's treasury, or the whole portfolio's, is frozen. Required: unknown is not false. */
  frozen: boolean;
  /** The kill-switch is engaged. Required: unknown is not false. */
  paused: boolean;
};

export type MoneyIntentDecision = PolicyDecisionRecord & {
  scope: "treasury";
  outcome: "approve" | "needs_approval" | "deny";
};

export type ToolCallRequest = {
  policy: CompiledPolicySet;
  agent: Extract<PolicyPrincipal, { kind: "agent" }>;
  /** The tool allowlist of the agent's role, from the role registry (AGENT-001). */
  roleAllowedTools: readonly string[];
  tool: string;
  /** The task and the tools its workload credential grants (AGENT-003). */
  task: { taskId: string; scopeTools: readonly string[] };
  paused: boolean;
};

export type PublishRequest = {
  policy: CompiledPolicySet;
  publisher: PolicyPrincipal;
  artifact: {
    artifactId: string;
    portfolioId: string;
    ventureId: string;
    kind: string;
    claimKinds: readonly string[];
    reviewStatus: string;
  };
  paused: boolean;
};

export type AllowDenyDecision<S extends "tools" | "publishing"> = PolicyDecisionRecord & {
  scope: S;
  outcome: "allow" | "deny";
};

// ---------------------------------------------------------------------------------------------
// Entities
// ---------------------------------------------------------------------------------------------

const ref = (type: string, id: string): EntityRef => ({ type, id });
const entityValue = (type: string, id: string) => ({ __entity: ref(type, id) });

/** Collects entities once each, so a venture that is both a parent and the resource appears once. */
class Entities {
  private readonly byKey = new Map<string, CedarEntity>();
  add(uid: EntityRef, attrs: CedarRecord = {}, parents: EntityRef[] = []): EntityRef {
    const key = `${uid.type}::${uid.id}`;
    if (!this.byKey.has(key)) this.byKey.set(key, { uid, attrs, parents });
    return uid;
  }
  venture(portfolioId: string, ventureId: string): EntityRef {
    const portfolio = this.add(ref("Portfolio", portfolioId));
    return this.add(ref("Venture", ventureId), {}, [portfolio]);
  }
  principal(principal: PolicyPrincipal): EntityRef {
    if (principal.kind === "user") {
      const portfolio = this.add(ref("Portfolio", principal.portfolioId));
      return this.add(ref("User", principal.userId), { portfolioRole: principal.portfolioRole }, [portfolio]);
    }
    const venture = this.venture(principal.portfolioId, principal.ventureId);
    // The Role entity itself is added only where its allowlist is known (tool calls); a policy that
    // reads it elsewhere meets a missing entity, an evaluation error, and so a deny.
    return this.add(
      ref("Agent", principal.agentId),
      { role: entityValue("Role", principal.role), level: principal.level },
      [venture],
    );
  }
  list(): CedarEntity[] {
    return [...this.byKey.values()];
  }
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}

function allowDeny<S extends "tools" | "publishing">(
  scope: S,
  decision: PolicyDecision,
): AllowDenyDecision<S> {
  return {
    scope,
    outcome: decision.decision,
    approvalsRequired: 0,
    determiningPolicies: decision.determiningPolicies,
    reasons: decision.reasons,
    errors: decision.errors,
    policyVersion: decision.policyVersion,
  };
}

// ---------------------------------------------------------------------------------------------
// Money intents
// ---------------------------------------------------------------------------------------------

/**
 * approve / needs_approval / deny for a money intent (TREAS-002), decided as three Cedar actions:
 * - spend denied → deny (determining: the forbids, or none for default deny);
 * - spend, spend_with_single_approval and spend_without_approval allowed → approve;
 * - otherwise needs_approval, with approvalsRequired 1, or 2 (four-eyes) when
 *   spend_with_single_approval is denied; determining: the forbids that asked for approval.
 * An evaluation error in any of the three denies (fail closed).
 */
export function decideMoneyIntent(request: MoneyIntentRequest): MoneyIntentDecision {
  const { policy, intent } = request;
  let amountMinor: number;
  try {
    amountMinor = toCedarLong(intent.amountMinor, "amountMinor");
  } catch (error) {
    return {
      scope: "treasury",
      outcome: "deny",
      approvalsRequired: 0,
      determiningPolicies: [],
      reasons: ["The amount cannot be evaluated exactly, so the intent is denied (fail closed)"],
      errors: [(error as Error).message],
      policyVersion: policy.versionHash,
    };
  }
  const entities = new Entities();
  const principal = entities.principal(request.requester);
  const resource = entities.venture(intent.portfolioId, intent.ventureId);
  const context: CedarRecord = {
    intentId: intent.intentId,
    amountMinor,
    currency: intent.currency,
    category: intent.category,
    counterpartyId: intent.counterpartyId,
    counterpartyAllowlist: [...request.counterpartyAllowlist],
    frozen: request.frozen,
    paused: request.paused,
  };
  // One request for the three actions: decideActions gives what three decide() calls would, from
  // one Cedar evaluation when it can (engine.ts, "Request plans").
  const [spend, single, automatic] = decideActions(
    { policy, principal, resource, context, entities: entities.list() },
    ["spend", "spend_with_single_approval", "spend_without_approval"],
  ) as [PolicyDecision, PolicyDecision, PolicyDecision];

  const errors = unique([...spend.errors, ...single.errors, ...automatic.errors]);
  if (errors.length > 0) {
    return {
      scope: "treasury",
      outcome: "deny",
      approvalsRequired: 0,
      determiningPolicies: [],
      reasons: ["The intent could not be evaluated against the policy, so it is denied (fail closed)"],
      errors,
      policyVersion: policy.versionHash,
    };
  }
  if (spend.decision === "deny") {
    return {
      scope: "treasury",
      outcome: "deny",
      approvalsRequired: 0,
      determiningPolicies: spend.determiningPolicies,
      reasons: spend.reasons,
      errors: [],
      policyVersion: policy.versionHash,
    };
  }
  if (single.decision === "allow" && automatic.decision === "allow") {
    return {
      scope: "treasury",
      outcome: "approve",
      approvalsRequired: 0,
      determiningPolicies: automatic.determiningPolicies,
      reasons: automatic.reasons,
      errors: [],
      policyVersion: policy.versionHash,
    };
  }
  // Approval is needed: explain with the forbids that took the automatic (and single) path away.
  const blockers = [automatic, ...(single.decision === "deny" ? [single] : [])];
  const determiningPolicies = unique(blockers.flatMap((d) => d.determiningPolicies));
  const reasons = unique(
    blockers.flatMap((d) =>
      d.determiningPolicies.length > 0 ? d.reasons : ["No policy allows this spend without approval"],
    ),
  );
  return {
    scope: "treasury",
    outcome: "needs_approval",
    approvalsRequired: single.decision === "allow" ? 1 : 2,
    determiningPolicies,
    reasons,
    errors: [],
    policyVersion: policy.versionHash,
  };
}

// ---------------------------------------------------------------------------------------------
// Tool calls and publishing
// ---------------------------------------------------------------------------------------------

/** allow / deny for one tool call by an agent (AGENT-002): role allowlist, task scope, policy. */
export function decideToolCall(request: ToolCallRequest): AllowDenyDecision<"tools"> {
  const entities = new Entities();
  const toolRef = (name: string) => entityValue("Tool", name);
  entities.add(ref("Role", request.agent.role), { allowedTools: request.roleAllowedTools.map(toolRef) });
  const principal = entities.principal(request.agent);
  const resource = entities.add(ref("Tool", request.tool));
  const decision = decide({
    policy: request.policy,
    principal,
    action: "call_tool",
    resource,
    context: {
      taskId: request.task.taskId,
      taskScope: request.task.scopeTools.map(toolRef),
      paused: request.paused,
    },
    entities: entities.list(),
  });
  return allowDeny("tools", decision);
}

/** allow / deny for publishing an artifact (ARTIF-007's compliance check). */
export function decidePublish(request: PublishRequest): AllowDenyDecision<"publishing"> {
  const { artifact } = request;
  const entities = new Entities();
  const principal = entities.principal(request.publisher);
  const venture = entities.venture(artifact.portfolioId, artifact.ventureId);
  const resource = entities.add(
    ref("Artifact", artifact.artifactId),
    { kind: artifact.kind, claimKinds: [...artifact.claimKinds], reviewStatus: artifact.reviewStatus },
    [venture],
  );
  const decision = decide({
    policy: request.policy,
    principal,
    action: "publish",
    resource,
    context: { paused: request.paused },
    entities: entities.list(),
  });
  return allowDeny("publishing", decision);
}

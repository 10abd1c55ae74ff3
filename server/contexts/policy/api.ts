// What other contexts may import from policy. The usual call is one of the check* functions below
// inside the command's transaction: it loads the portfolio's active policy set (compiled once per
// version) and decides; embed the returned PolicyDecisionRecord in the event the decision
// authorised or refused (its zod schema is policyDecisionRecordSchema in
// server/shared/events/catalog/policy.ts, for event payloads).
import type { Db, Tx } from "@/server/shared/db";
import {
  type AllowDenyDecision,
  decideMoneyIntent,
  decidePublish,
  decideToolCall,
  type MoneyIntentDecision,
  type MoneyIntentRequest,
  type PublishRequest,
  type ToolCallRequest,
} from "./decisions";
import { getActivePolicy } from "./get-active-policy";

export type {
  AgentLevel,
  AllowDenyDecision,
  MoneyIntentDecision,
  MoneyIntentRequest,
  PolicyPrincipal,
  PublishRequest,
  ToolCallRequest,
} from "./decisions";
export { decideMoneyIntent, decidePublish, decideToolCall } from "./decisions";
export type { CompiledPolicySet } from "./engine";
export {
  type ActivePolicy,
  type ActivePolicyPointer,
  activePolicyPointerSql,
  getActivePolicy,
  resolveActivePolicy,
} from "./get-active-policy";
export { scaleUpPlaybookCounterparty } from "./guardrails";

/** approve / needs_approval / deny for a money intent, with the portfolio's active treasury policy. */
export async function checkMoneyIntent(
  options: { db: Db | Tx } & Omit<MoneyIntentRequest, "policy">,
): Promise<MoneyIntentDecision> {
  const { db, ...request } = options;
  const active = await getActivePolicy({ db, portfolioId: request.intent.portfolioId, scope: "treasury" });
  return decideMoneyIntent({ ...request, policy: active.policy });
}

/** allow / deny for a tool call, with the portfolio's active tools policy. */
export async function checkToolCall(
  options: { db: Db | Tx } & Omit<ToolCallRequest, "policy">,
): Promise<AllowDenyDecision<"tools">> {
  const { db, ...request } = options;
  const active = await getActivePolicy({ db, portfolioId: request.agent.portfolioId, scope: "tools" });
  return decideToolCall({ ...request, policy: active.policy });
}

/** allow / deny for publishing an artifact, with the portfolio's active publishing policy. */
export async function checkPublish(
  options: { db: Db | Tx } & Omit<PublishRequest, "policy">,
): Promise<AllowDenyDecision<"publishing">> {
  const { db, ...request } = options;
  const active = await getActivePolicy({
    db,
    portfolioId: request.artifact.portfolioId,
    scope: "publishing",
  });
  return decidePublish({ ...request, policy: active.policy });
}

export { seedDefaultPolicies } from "./seed-default-policies";

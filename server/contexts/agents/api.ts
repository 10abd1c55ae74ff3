// What other contexts may import from agents: the role registry (orchestration validates a task's
// role and level against it on submit), and for the artifact compiler, whose text providers reuse
// the model providers and their metering, the provider adapters, error classification, prices and
// the ledger meter (ADR 0010).
export { ledgerMeter, type SpendHold, type SpendMeter } from "./metering/meter";
export { costOf, maxCallCost, type Price, priceOf } from "./pricing";
export { AnthropicProvider } from "./providers/anthropic";
export { OpenAiProvider } from "./providers/openai";
export {
  type CompletionRequest,
  type CompletionResult,
  kindOfStatus,
  type ModelProvider,
  ProviderError,
  type ProviderErrorKind,
  reasonOf,
  type Usage,
  withDeadline,
} from "./providers/types";
export {
  agentRoles,
  isRoleName,
  type ModelChoice,
  type ProviderName,
  type RoleDefinition,
  type RoleName,
  roleDefinition,
  roleNames,
  specialistRoles,
} from "./roles";

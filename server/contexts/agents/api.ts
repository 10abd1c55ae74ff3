// What other contexts may import from agents: the role registry (orchestration validates a task's
// role and level against it on submit).
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

import { agentRoles, type RoleName } from "./roles";
import { toolDefinitions } from "./tools/registry";

/** The role registry and the tool registry as people see them (AGENT-001, AGENT-002). */
export function listRoles() {
  return {
    roles: (Object.keys(agentRoles) as RoleName[]).map((name) => {
      const role = agentRoles[name];
      return {
        name: role.name,
        title: role.title,
        level: role.level,
        prompt: role.prompt,
        tools: [...role.tools],
        provider: role.model.provider,
        model: role.model.model,
        maxTokens: role.maxTokens,
        maxTurns: role.maxTurns,
        spendCeilingMinor: role.spendCeilingMinor,
      };
    }),
    tools: toolDefinitions.map((tool) => ({
      name: tool.name,
      description: tool.description,
      sideEffects: tool.sideEffects,
      costMinor: tool.costMinor,
      needsApproval: tool.needsApproval,
    })),
  };
}

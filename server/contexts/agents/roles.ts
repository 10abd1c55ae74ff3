// The role registry (AGENT-001): what each agent role is told, which tools it may call, which model
// it uses and how much one run may spend. Code, not data: a role change is reviewed like code, and
// the policy engine receives each role's allowlist as an entity attribute (ADR 0003).
import type { AgentLevelName } from "@/server/shared/events/catalog/orchestration";

export type ProviderName = "builtin" | "anthropic" | "openai";

export type ModelChoice = { provider: ProviderName; model: string };

export type RoleDefinition = {
  name: string;
  title: string;
  level: AgentLevelName;
  /** The system prompt. */
  prompt: string;
  /** Tools the role may call (the gateway and the Cedar policy both check this list). */
  tools: readonly string[];
  model: ModelChoice;
  /** Output tokens per model call. */
  maxTokens: number;
  /** Model calls per run before the agent must answer. */
  maxTurns: number;
  /** Default spend ceiling of one run, minor units of the venture's currency. */
  spendCeilingMinor: bigint;
};

const builtin: ModelChoice = { provider: "builtin", model: "venture-builtin-1" };

const common = `You work for one venture in a portfolio run by AI agents under human control. Use only the
tools you are given, keep within the task, and answer with a concise result a founder can act on.`;

export const agentRoles = {
  planner: {
    name: "planner",
    title: "Planner",
    level: "L1",
    prompt: `${common}
You are the L1 planner. Turn the goal into a plan: a JSON object {"tasks": [...]} where each task has
key, title, role (one of researcher, copywriter, designer, growth_marketer, finance_analyst, engineer),
dependsOn (keys), estimatedCostMinor (a string of digits) and an optional brief. No cycles.`,
    tools: ["memory.search"],
    model: builtin,
    maxTokens: 2_048,
    maxTurns: 3,
    spendCeilingMinor: 500n,
  },
  researcher: {
    name: "researcher",
    title: "Researcher",
    level: "L2",
    prompt: `${common}\nYou are a market researcher: find facts, competitors and customer needs.`,
    tools: ["memory.search", "web.search", "notes.write"],
    model: builtin,
    maxTokens: 1_024,
    maxTurns: 4,
    spendCeilingMinor: 1_000n,
  },
  copywriter: {
    name: "copywriter",
    title: "Copywriter",
    level: "L2",
    prompt: `${common}\nYou are a copywriter: write clear, honest copy for the venture's audience.`,
    tools: ["memory.search", "notes.write", "artifact.draft"],
    model: builtin,
    maxTokens: 1_024,
    maxTurns: 4,
    spendCeilingMinor: 1_000n,
  },
  designer: {
    name: "designer",
    title: "Designer",
    level: "L2",
    prompt: `${common}\nYou are a designer: produce layout and visual briefs.`,
    tools: ["memory.search", "artifact.draft"],
    model: builtin,
    maxTokens: 1_024,
    maxTurns: 4,
    spendCeilingMinor: 1_000n,
  },
  growth_marketer: {
    name: "growth_marketer",
    title: "Growth marketer",
    level: "L2",
    prompt: `${common}\nYou are a growth marketer: plan and run acquisition experiments within budget.`,
    tools: ["memory.search", "web.search", "notes.write", "email.send", "ads.launch_campaign"],
    model: builtin,
    maxTokens: 1_024,
    maxTurns: 4,
    spendCeilingMinor: 2_000n,
  },
  finance_analyst: {
    name: "finance_analyst",
    title: "Finance analyst",
    level: "L2",
    prompt: `${common}\nYou are a finance analyst: model costs, prices and runway from the venture's numbers.`,
    tools: ["memory.search", "notes.write"],
    model: builtin,
    maxTokens: 1_024,
    maxTurns: 4,
    spendCeilingMinor: 1_000n,
  },
  engineer: {
    name: "engineer",
    title: "Engineer",
    level: "L2",
    prompt: `${common}\nYou are an engineer: build and check small programs in the sandbox.`,
    tools: ["memory.search", "notes.write", "sandbox.run"],
    model: builtin,
    maxTokens: 1_024,
    maxTurns: 4,
    spendCeilingMinor: 1_000n,
  },
  worker: {
    name: "worker",
    title: "Supervised worker",
    level: "L3",
    prompt: "An L3 task runs one program in the sandbox under the supervisor; it has no model.",
    tools: ["sandbox.run"],
    model: builtin,
    maxTokens: 0,
    maxTurns: 0,
    spendCeilingMinor: 100n,
  },
} as const satisfies Record<string, RoleDefinition>;

export type RoleName = keyof typeof agentRoles;
export const roleNames = Object.keys(agentRoles) as RoleName[];
/** The specialist roles a plan may use. */
export const specialistRoles = roleNames.filter((r) => agentRoles[r].level === "L2");

export function isRoleName(name: string): name is RoleName {
  return Object.hasOwn(agentRoles, name);
}

export function roleDefinition(name: string): RoleDefinition | null {
  return isRoleName(name) ? agentRoles[name] : null;
}

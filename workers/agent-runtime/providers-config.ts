// Model providers from the parsed environment (server/shared/env.ts): the built-in provider always,
// Anthropic and OpenAI-compatible servers when a key is set, and an optional override of every role.
import type { ProvidersConfig } from "@/server/contexts/agents/providers/registry";
import type { ProviderName } from "@/server/contexts/agents/roles";
import type { Env } from "@/server/shared/env";

export function providersFromEnv(env: Env): ProvidersConfig {
  const [provider, ...model] = env.AGENT_MODEL?.split(":") ?? [];
  return {
    anthropic: env.ANTHROPIC_API_KEY
      ? { apiKey: env.ANTHROPIC_API_KEY, baseURL: env.ANTHROPIC_BASE_URL }
      : null,
    openai: env.OPENAI_API_KEY ? { apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL } : null,
    override: provider ? { provider: provider as ProviderName, model: model.join(":") } : null,
  };
}

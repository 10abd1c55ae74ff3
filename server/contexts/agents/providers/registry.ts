// Which provider serves a model choice. The built-in provider is always there and is the default;
// Anthropic and OpenAI-compatible providers exist when configured (key and optional base URL).
// A process-wide override lets a deployment send every role to one provider and model.
import { AppError } from "@/server/shared/errors";
import type { ModelChoice, ProviderName } from "../roles";
import { AnthropicProvider } from "./anthropic";
import { type BuiltinOptions, BuiltinProvider } from "./builtin";
import { OpenAiProvider } from "./openai";
import type { ModelProvider } from "./types";

export type ProvidersConfig = {
  builtin?: BuiltinOptions;
  anthropic?: { apiKey: string; baseURL?: string } | null;
  openai?: { apiKey: string; baseURL?: string } | null;
  /** Route every role to this provider and model instead of the role's own choice. */
  override?: ModelChoice | null;
};

export class ProviderRegistry {
  private readonly providers = new Map<ProviderName, ModelProvider>();
  constructor(private readonly config: ProvidersConfig = {}) {
    this.providers.set("builtin", new BuiltinProvider(config.builtin));
    if (config.anthropic) this.providers.set("anthropic", new AnthropicProvider(config.anthropic));
    if (config.openai) this.providers.set("openai", new OpenAiProvider(config.openai));
  }

  /** The provider and model a role's call goes to. */
  resolve(choice: ModelChoice): { provider: ModelProvider; model: string } {
    const effective = this.config.override ?? choice;
    const provider = this.providers.get(effective.provider);
    if (!provider) {
      throw new AppError(
        "UNAVAILABLE",
        `Model provider ${effective.provider} is not configured (no API key)`,
        {
          reason: "provider_not_configured",
        },
      );
    }
    return { provider, model: effective.model };
  }
}

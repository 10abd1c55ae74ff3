// The provider chains per modality, from the parsed environment (server/shared/env.ts). Each
// chain lists "provider:model" entries tried in order. Without an explicit chain: the built-in
// provider first in development and test (deterministic, free), and in production every
// configured paid provider first with the built-in one last as the fallback that always answers.
import { AnthropicProvider, type ModelProvider, OpenAiProvider } from "@/server/contexts/agents/api";
import type { Env } from "@/server/shared/env";
import type { ArtifactModality } from "@/server/shared/events/catalog/artifacts";
import { BuiltinImageProvider, BuiltinTextProvider, BuiltinVideoProvider } from "./builtin";
import { GoogleImageProvider } from "./google-images";
import { ModelStoryboardProvider, ModelTextProvider } from "./model-text";
import { OpenAiImageProvider } from "./openai-images";
import type { ArtifactProvider } from "./types";

export type Credentials = {
  anthropic?: { apiKey: string; baseURL?: string } | null;
  openai?: { apiKey: string; baseURL?: string } | null;
  google?: { apiKey: string; baseURL?: string } | null;
};

export type ChainSpec = Record<ArtifactModality, string[]>;

export type ProviderChains = Record<ArtifactModality, ArtifactProvider[]>;

const builtinModels: Record<ArtifactModality, string> = {
  text: "venture-text-1",
  image: "venture-draw-1",
  video: "venture-storyboard-1",
};

function modelProvider(name: string, credentials: Credentials): ModelProvider {
  if (name === "anthropic" && credentials.anthropic) return new AnthropicProvider(credentials.anthropic);
  if (name === "openai" && credentials.openai) return new OpenAiProvider(credentials.openai);
  throw new Error(`the ${name} provider is in an artifact chain but has no API key configured`);
}

/** One provider of a chain from its "provider:model" entry; a paid one needs its credentials. */
export function makeProvider(
  modality: ArtifactModality,
  entry: string,
  credentials: Credentials,
): ArtifactProvider {
  const [name, ...rest] = entry.split(":");
  const model = rest.join(":") || builtinModels[modality];
  if (name === "builtin") {
    if (modality === "text") return new BuiltinTextProvider(model);
    if (modality === "image") return new BuiltinImageProvider(model);
    return new BuiltinVideoProvider(model);
  }
  if (modality === "text") return new ModelTextProvider(modelProvider(name!, credentials), model);
  if (modality === "video") return new ModelStoryboardProvider(modelProvider(name!, credentials), model);
  if (name === "openai" && credentials.openai) return new OpenAiImageProvider(model, credentials.openai);
  if (name === "google" && credentials.google) return new GoogleImageProvider(model, credentials.google);
  throw new Error(`the image provider ${name} has no API key configured (or is not an image provider)`);
}

export function makeChains(spec: ChainSpec, credentials: Credentials): ProviderChains {
  return {
    text: spec.text.map((entry) => makeProvider("text", entry, credentials)),
    image: spec.image.map((entry) => makeProvider("image", entry, credentials)),
    video: spec.video.map((entry) => makeProvider("video", entry, credentials)),
  };
}

const split = (value: string | undefined) => (value ? value.split(",").filter(Boolean) : null);

export function chainSpecFromEnv(env: Env): { spec: ChainSpec; credentials: Credentials } {
  const credentials: Credentials = {
    anthropic: env.ANTHROPIC_API_KEY
      ? { apiKey: env.ANTHROPIC_API_KEY, baseURL: env.ANTHROPIC_BASE_URL }
      : null,
    openai: env.OPENAI_API_KEY ? { apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL } : null,
    google: env.GOOGLE_API_KEY ? { apiKey: env.GOOGLE_API_KEY, baseURL: env.GOOGLE_BASE_URL } : null,
  };
  const paid: ChainSpec = {
    text: [
      ...(credentials.anthropic ? ["anthropic:claude-sonnet-4-5"] : []),
      ...(credentials.openai ? ["openai:gpt-4o-mini"] : []),
    ],
    image: [
      ...(credentials.openai ? ["openai:gpt-image-1"] : []),
      ...(credentials.google ? ["google:imagen-3.0-generate-002"] : []),
    ],
    video: [
      ...(credentials.anthropic ? ["anthropic:claude-sonnet-4-5"] : []),
      ...(credentials.openai ? ["openai:gpt-4o-mini"] : []),
    ],
  };
  const fallback = (modality: ArtifactModality): string[] => {
    const builtin = `builtin:${builtinModels[modality]}`;
    return env.NODE_ENV === "production" ? [...paid[modality], builtin] : [builtin, ...paid[modality]];
  };
  return {
    credentials,
    spec: {
      text: split(env.ARTIFACT_TEXT_CHAIN) ?? fallback("text"),
      image: split(env.ARTIFACT_IMAGE_CHAIN) ?? fallback("image"),
      video: split(env.ARTIFACT_VIDEO_CHAIN) ?? fallback("video"),
    },
  };
}

/** Only the built-in providers: tests, benches and a machine with no keys. */
export function builtinChains(): ProviderChains {
  return {
    text: [new BuiltinTextProvider()],
    image: [new BuiltinImageProvider()],
    video: [new BuiltinVideoProvider()],
  };
}

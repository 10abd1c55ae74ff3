// Text (and storyboards) from a real model through the agents context's provider adapters
// (Anthropic and OpenAI-compatible, real SDKs, retries off, our deadline and abort signal), priced
// with the agents' price table: one call is one metered spend (ARTIF-003).
import {
  type CompletionRequest,
  costOf,
  type ModelProvider,
  maxCallCost,
  ProviderError,
  type ProviderName,
  priceOf,
} from "@/server/contexts/agents/api";
import type { NodeRequest } from "../nodes";
import {
  type ArtifactProvider,
  asText,
  asVideo,
  type CallOptions,
  type ProviderResult,
  type ProviderUsage,
  type Shot,
} from "./types";

function completion(
  system: string,
  prompt: string,
  maxTokens: number,
  options: CallOptions,
): CompletionRequest {
  return {
    model: "",
    system,
    messages: [{ role: "user", content: prompt }],
    tools: [],
    maxTokens,
    signal: options.signal,
    timeoutMs: options.timeoutMs,
  };
}

abstract class ModelBacked {
  readonly paid = true;
  constructor(
    protected readonly provider: ModelProvider,
    readonly model: string,
  ) {}
  get name(): string {
    return this.provider.name;
  }
  protected abstract prompts(request: NodeRequest): { system: string; prompt: string; maxTokens: number };
  maxCostMinor(request: NodeRequest): bigint {
    const { system, prompt, maxTokens } = this.prompts(request);
    return maxCallCost(priceOf(this.provider.name as ProviderName, this.model), {
      system,
      messages: [{ role: "user", content: prompt }],
      tools: [],
      maxTokens,
    });
  }
  costMinor(usage: ProviderUsage): bigint {
    return costOf(priceOf(this.provider.name as ProviderName, this.model), usage);
  }
  protected async complete(request: NodeRequest, options: CallOptions) {
    const { system, prompt, maxTokens } = this.prompts(request);
    const result = await this.provider.complete({
      ...completion(system, prompt, maxTokens, options),
      model: this.model,
    });
    return { text: result.text.trim(), usage: { ...result.usage, images: 0 } };
  }
}

export class ModelTextProvider extends ModelBacked implements ArtifactProvider {
  readonly modality = "text" as const;
  protected prompts(request: NodeRequest) {
    const text = asText(request);
    // Roughly two tokens a word, plus room for punctuation.
    return { system: text.system, prompt: text.prompt, maxTokens: text.maxWords * 2 + 32 };
  }
  async call(request: NodeRequest, options: CallOptions): Promise<ProviderResult> {
    const { text, usage } = await this.complete(request, options);
    if (text.length === 0)
      throw new ProviderError("bad_response", `${this.name} answered with no text`, { usage });
    return { output: { modality: "text", text }, usage };
  }
}

const storyboardSystem =
  "You are a storyboard artist. Turn the video brief into shots. Answer with JSON only, no prose: " +
  '{"shots":[{"sceneId":string,"durationSeconds":integer,"camera":string,"description":string,' +
  '"voiceover":string|null,"keyframePrompt":string}]}. Every scene gets at least one shot, in order.';

/** The video-brief adapter: a model plans the storyboard (shots with camera, timing and keyframes). */
export class ModelStoryboardProvider extends ModelBacked implements ArtifactProvider {
  readonly modality = "video" as const;
  protected prompts(request: NodeRequest) {
    const brief = asVideo(request);
    return {
      system: storyboardSystem,
      prompt: JSON.stringify(brief),
      maxTokens: 400 + brief.scenes.length * 200,
    };
  }
  async call(request: NodeRequest, options: CallOptions): Promise<ProviderResult> {
    const brief = asVideo(request);
    const { text, usage } = await this.complete(request, options);
    return {
      output: {
        modality: "video",
        storyboard: parseStoryboard(
          text,
          brief.scenes.map((s) => s.id),
          usage,
        ),
      },
      usage,
    };
  }
}

/** Validates a model's storyboard JSON; anything else is a bad response (the chain moves on). */
export function parseStoryboard(text: string, sceneIds: string[], usage: ProviderUsage): { shots: Shot[] } {
  const json = text.replace(/^```(?:json)?\s*/i, "").replace(/```\s*$/, "");
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new ProviderError("bad_response", "the storyboard is not JSON", { usage });
  }
  const raw = (parsed as { shots?: unknown })?.shots;
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > 200) {
    throw new ProviderError("bad_response", "the storyboard has no shots array", { usage });
  }
  const known = new Set(sceneIds);
  const counters = new Map<string, number>();
  let start = 0;
  const shots: Shot[] = raw.map((item, index) => {
    const shot = item as Record<string, unknown>;
    const sceneId = String(shot.sceneId ?? "");
    const duration = Number(shot.durationSeconds);
    if (!known.has(sceneId) || !Number.isInteger(duration) || duration < 1 || duration > 600) {
      throw new ProviderError(
        "bad_response",
        `storyboard shot ${index} has an unknown scene or a bad duration`,
        {
          usage,
        },
      );
    }
    const n = (counters.get(sceneId) ?? 0) + 1;
    counters.set(sceneId, n);
    const out: Shot = {
      id: `${sceneId}-${n}`,
      sceneId,
      startSeconds: start,
      durationSeconds: duration,
      camera: String(shot.camera ?? "shot").slice(0, 200),
      description: String(shot.description ?? "").slice(0, 1_000),
      voiceover: shot.voiceover == null ? null : String(shot.voiceover).slice(0, 1_000),
      keyframePrompt: String(shot.keyframePrompt ?? shot.description ?? "").slice(0, 1_000),
    };
    start += duration;
    return out;
  });
  return { shots };
}

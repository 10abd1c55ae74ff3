// The built-in deterministic providers (ARTIF-003): text from templates, images drawn locally,
// storyboards from the scenes of a video brief. No network and no cost; the same request always
// gets the same bytes, which makes builds, tests and demos reproducible.
import { createHash } from "node:crypto";
import type { NodeRequest } from "../nodes";
import { drawImage } from "../render/png";
import {
  type ArtifactProvider,
  abortable,
  asImage,
  asText,
  asVideo,
  type ProviderResult,
  type Shot,
} from "./types";

function seedOf(request: NodeRequest): Buffer {
  return createHash("sha256").update(JSON.stringify(request)).digest();
}

const leadIns = [
  /^(please\s+)?(write|explain|describe|summari[sz]e|list|give|draft|create|outline)\s+(me\s+)?/i,
  /^(a|an|the)\s+(one-sentence|short|brief|single)?\s*(pitch|summary|description|overview|explanation|paragraph)\s+(of|for|about)\s+/i,
  /^(the\s+)?(main\s+)?(benefit|problem|value|story)\s+(of|that)\s+/i,
];

/** The subject of a prompt: the prompt without the instruction words around it. */
export function subjectOf(prompt: string): string {
  let subject = prompt.trim().replace(/[.?!]+$/, "");
  for (let round = 0; round < 2; round++) for (const lead of leadIns) subject = subject.replace(lead, "");
  return subject.length > 0 ? subject : prompt.trim();
}

const openers: Record<string, string[]> = {
  neutral: [
    "{S} gives you a clear way forward.",
    "{S}, explained simply.",
    "Here is what {s} means for you.",
  ],
  friendly: ["Say hello to {s}.", "{S} makes the day a little easier.", "You will like {s}."],
  formal: ["{S} addresses a well-defined need.", "This section sets out {s}.", "{S} is presented below."],
  bold: ["{S}. No compromises.", "Meet {s}: built to win.", "{S} changes the game."],
};

const middles = [
  "It starts small, shows results early and grows with the people who use it.",
  "Every step is simple to follow, and nothing is hidden.",
  "Teams use it to save time, cut waste and focus on what matters.",
  "It is designed with the people who use it, tested in the field and refined every week.",
  "The numbers are measured, the costs are clear and the next step is always obvious.",
  "It works on the first day and keeps working as needs change.",
];

const closers = [
  "Try it and see the difference.",
  "Start today; it takes minutes.",
  "Ask for a demo and judge for yourself.",
  "Join the people who already rely on it.",
];

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Template text for a prompt: an opener on its subject, middles, a closer, cut to maxWords. */
export function templateText(
  request: { prompt: string; maxWords: number; tone: string },
  seed: Buffer,
): string {
  const subject = subjectOf(request.prompt);
  const pick = <T>(list: T[], i: number) => list[seed[i]! % list.length]!;
  const opener = pick(openers[request.tone] ?? openers.neutral!, 0)
    .replace("{S}", capitalise(subject))
    .replace("{s}", subject);
  const sentences = [opener, pick(middles, 1), pick(middles, 2), pick(closers, 3)];
  const unique = [...new Set(sentences)];
  const words = unique.join(" ").split(/\s+/);
  if (words.length <= request.maxWords) return unique.join(" ");
  const cut = words
    .slice(0, request.maxWords)
    .join(" ")
    .replace(/[,;:]$/, "");
  return /[.!?]$/.test(cut) ? cut : `${cut}.`;
}

const builtinCost = { maxCostMinor: () => 0n, costMinor: () => 0n };

export class BuiltinTextProvider implements ArtifactProvider {
  readonly name = "builtin";
  readonly modality = "text" as const;
  readonly paid = false;
  readonly maxCostMinor = builtinCost.maxCostMinor;
  readonly costMinor = builtinCost.costMinor;
  constructor(readonly model = "venture-text-1") {}

  call(request: NodeRequest, { signal }: { signal: AbortSignal }): Promise<ProviderResult> {
    return abortable(signal, () => {
      const text = templateText(asText(request), seedOf(request));
      const tokens = Math.ceil(text.length / 4);
      return {
        output: { modality: "text", text },
        usage: { inputTokens: 0, outputTokens: tokens, images: 0 },
      };
    });
  }
}

export class BuiltinImageProvider implements ArtifactProvider {
  readonly name = "builtin";
  readonly modality = "image" as const;
  readonly paid = false;
  readonly maxCostMinor = builtinCost.maxCostMinor;
  readonly costMinor = builtinCost.costMinor;
  constructor(readonly model = "venture-draw-1") {}

  call(request: NodeRequest, { signal }: { signal: AbortSignal }): Promise<ProviderResult> {
    return abortable(signal, () => {
      const image = asImage(request);
      const bytes = drawImage(seedOf(request), image.width, image.height, image.style);
      return {
        output: {
          modality: "image",
          bytes,
          contentType: "image/png",
          width: image.width,
          height: image.height,
        },
        usage: { inputTokens: 0, outputTokens: 0, images: 1 },
      };
    });
  }
}

const cameras = [
  "wide establishing shot",
  "medium shot",
  "close-up",
  "slow push-in",
  "overhead shot",
  "tracking shot",
];

/** Splits each scene into shots of at most 5 seconds, cameras chosen from the request's hash. */
export function builtinStoryboard(request: NodeRequest): { shots: Shot[] } {
  const brief = asVideo(request);
  const seed = seedOf(request);
  const shots: Shot[] = [];
  let start = 0;
  for (const [sceneIndex, scene] of brief.scenes.entries()) {
    const count = Math.max(1, Math.ceil(scene.durationSeconds / 5));
    for (let i = 0; i < count; i++) {
      const duration = i < count - 1 ? 5 : scene.durationSeconds - 5 * (count - 1);
      const camera = cameras[(seed[(sceneIndex * 3 + i) % seed.length]! + i) % cameras.length]!;
      shots.push({
        id: `${scene.id}-${i + 1}`,
        sceneId: scene.id,
        startSeconds: start,
        durationSeconds: duration,
        camera,
        description: scene.description,
        voiceover: i === 0 ? scene.voiceover : null,
        keyframePrompt: `${camera} of ${scene.description}, ${brief.aspectRatio} frame`,
      });
      start += duration;
    }
  }
  return { shots };
}

export class BuiltinVideoProvider implements ArtifactProvider {
  readonly name = "builtin";
  readonly modality = "video" as const;
  readonly paid = false;
  readonly maxCostMinor = builtinCost.maxCostMinor;
  readonly costMinor = builtinCost.costMinor;
  constructor(readonly model = "venture-storyboard-1") {}

  call(request: NodeRequest, { signal }: { signal: AbortSignal }): Promise<ProviderResult> {
    return abortable(signal, () => ({
      output: { modality: "video", storyboard: builtinStoryboard(request) },
      usage: { inputTokens: 0, outputTokens: 0, images: 0 },
    }));
  }
}

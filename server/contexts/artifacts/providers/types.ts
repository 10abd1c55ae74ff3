// The one interface of every artifact provider (ARTIF-003), per modality: text, image and video
// (a storyboard from a video brief). A provider says whether its calls cost money (paid calls are
// policy-checked and held on the venture's budget, see ../metering.ts) and what a call may cost.
// Errors are the agents context's ProviderError, classified once.
import type { ArtifactModality } from "@/server/shared/events/catalog/artifacts";
import type { ImageRequest, NodeRequest, TextRequest, VideoRequest } from "../nodes";

export type ProviderUsage = { inputTokens: number; outputTokens: number; images: number };

export type Shot = {
  id: string;
  sceneId: string;
  startSeconds: number;
  durationSeconds: number;
  camera: string;
  description: string;
  voiceover: string | null;
  keyframePrompt: string;
};

export type Storyboard = { shots: Shot[] };

export type ProviderOutput =
  | { modality: "text"; text: string }
  | {
      modality: "image";
      bytes: Buffer;
      contentType: "image/png" | "image/jpeg";
      width: number;
      height: number;
    }
  | { modality: "video"; storyboard: Storyboard };

export type ProviderResult = { output: ProviderOutput; usage: ProviderUsage };

export type CallOptions = { signal: AbortSignal; timeoutMs: number };

export interface ArtifactProvider {
  /** builtin | anthropic | openai | google */
  readonly name: string;
  readonly model: string;
  readonly modality: ArtifactModality;
  /** False for the built-in providers: free, local, no policy check or hold. */
  readonly paid: boolean;
  /** The most one call with this request can cost, in minor units (the hold). */
  maxCostMinor(request: NodeRequest): bigint;
  /** What a call cost, from the usage it reported (never more than maxCostMinor is charged). */
  costMinor(usage: ProviderUsage): bigint;
  call(request: NodeRequest, options: CallOptions): Promise<ProviderResult>;
}

export const noUsage: ProviderUsage = { inputTokens: 0, outputTokens: 0, images: 0 };

export function asText(request: NodeRequest): TextRequest {
  if (request.modality !== "text") throw new Error(`expected a text request, got ${request.modality}`);
  return request;
}

export function asImage(request: NodeRequest): ImageRequest {
  if (request.modality !== "image") throw new Error(`expected an image request, got ${request.modality}`);
  return request;
}

export function asVideo(request: NodeRequest): VideoRequest {
  if (request.modality !== "video") throw new Error(`expected a video request, got ${request.modality}`);
  return request;
}

/** Rejects once signal aborts: for local work that has no network call to cancel. */
export function abortable<T>(signal: AbortSignal, work: () => T): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return Promise.resolve().then(work);
}

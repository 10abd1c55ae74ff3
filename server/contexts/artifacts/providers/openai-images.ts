// Images from an OpenAI-compatible images API (POST /images/generations, b64_json) through the
// `openai` SDK with retries off, our deadline and abort signal; the base URL is configurable (and
// is how the tests point the real SDK at a local fake). Priced per image.
import OpenAI from "openai";
import { kindOfStatus, ProviderError, withDeadline } from "@/server/contexts/agents/api";
import type { NodeRequest } from "../nodes";
import { pngSize } from "../render/png";
import { type ArtifactProvider, asImage, type CallOptions, type ProviderResult } from "./types";

export type OpenAiImagesOptions = { apiKey: string; baseURL?: string; pricePerImageMinor?: bigint };

/** The API's sizes: the nearest aspect to the request. */
export function openAiSize(width: number, height: number): "1024x1024" | "1536x1024" | "1024x1536" {
  const ratio = width / height;
  if (ratio > 1.2) return "1536x1024";
  if (ratio < 1 / 1.2) return "1024x1536";
  return "1024x1024";
}

export class OpenAiImageProvider implements ArtifactProvider {
  readonly name = "openai";
  readonly modality = "image" as const;
  readonly paid = true;
  private readonly client: OpenAI;
  private readonly price: bigint;

  constructor(
    readonly model: string,
    options: OpenAiImagesOptions,
  ) {
    this.client = new OpenAI({ apiKey: options.apiKey, baseURL: options.baseURL ?? null, maxRetries: 0 });
    this.price = options.pricePerImageMinor ?? 4n;
  }

  maxCostMinor(): bigint {
    return this.price;
  }
  costMinor(usage: { images: number }): bigint {
    return this.price * BigInt(usage.images);
  }

  call(request: NodeRequest, options: CallOptions): Promise<ProviderResult> {
    const image = asImage(request);
    return withDeadline(options, async (signal) => {
      let response: OpenAI.ImagesResponse;
      try {
        response = await this.client.images.generate(
          {
            model: this.model,
            prompt: `${image.style}: ${image.prompt}`,
            n: 1,
            size: openAiSize(image.width, image.height),
            response_format: "b64_json",
          },
          { signal, timeout: options.timeoutMs },
        );
      } catch (error) {
        throw classify(error);
      }
      const b64 = response.data?.[0]?.b64_json;
      if (!b64) throw new ProviderError("bad_response", "the images API answered without b64_json");
      const bytes = Buffer.from(b64, "base64");
      const size = pngSize(bytes);
      if (!size)
        throw new ProviderError("bad_response", "the images API answered with bytes that are not a PNG");
      return {
        output: {
          modality: "image",
          bytes,
          contentType: "image/png",
          width: size.width,
          height: size.height,
        },
        usage: { inputTokens: 0, outputTokens: 0, images: 1 },
      };
    });
  }
}

function classify(error: unknown): unknown {
  if (error instanceof ProviderError) return error;
  if (error instanceof OpenAI.APIUserAbortError) return error;
  if (error instanceof OpenAI.APIConnectionTimeoutError)
    return new ProviderError("timeout", "The images API did not answer in time", { cause: error });
  if (error instanceof OpenAI.APIConnectionError)
    return new ProviderError("network", `The images API is unreachable: ${error.message}`, { cause: error });
  if (error instanceof OpenAI.APIError) {
    return new ProviderError(
      kindOfStatus(error.status),
      `The images API answered ${error.status ?? "an error"}: ${error.message}`,
      {
        status: error.status,
        cause: error,
      },
    );
  }
  return new ProviderError("bad_response", `The images API failed: ${String(error)}`, { cause: error });
}

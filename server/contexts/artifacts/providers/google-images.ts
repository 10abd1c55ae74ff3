// Images from Google's Generative Language API (Imagen): POST
// {base}/v1beta/models/{model}:predict with `x-goog-api-key`, instances [{prompt}] and parameters
// {sampleCount, aspectRatio}; the answer's predictions carry bytesBase64Encoded and mimeType. Plain
// fetch (no SDK is installed), our deadline and abort signal, priced per image.
import { kindOfStatus, ProviderError, withDeadline } from "@/server/contexts/agents/api";
import type { NodeRequest } from "../nodes";
import { pngSize } from "../render/png";
import { type ArtifactProvider, asImage, type CallOptions, type ProviderResult } from "./types";

export type GoogleImagesOptions = { apiKey: string; baseURL?: string; pricePerImageMinor?: bigint };

export function imagenAspect(width: number, height: number): "1:1" | "16:9" | "9:16" | "4:3" | "3:4" {
  const ratio = width / height;
  if (ratio >= 1.55) return "16:9";
  if (ratio >= 1.15) return "4:3";
  if (ratio <= 1 / 1.55) return "9:16";
  if (ratio <= 1 / 1.15) return "3:4";
  return "1:1";
}

function jpegSize(bytes: Buffer): { width: number; height: number } | null {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return null;
  let offset = 2;
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) return null;
    const marker = bytes[offset + 1]!;
    const length = bytes.readUInt16BE(offset + 2);
    if (marker >= 0xc0 && marker <= 0xc3) {
      return { height: bytes.readUInt16BE(offset + 5), width: bytes.readUInt16BE(offset + 7) };
    }
    offset += 2 + length;
  }
  return null;
}

export class GoogleImageProvider implements ArtifactProvider {
  readonly name = "google";
  readonly modality = "image" as const;
  readonly paid = true;
  private readonly base: string;
  private readonly price: bigint;

  constructor(
    readonly model: string,
    private readonly options: GoogleImagesOptions,
  ) {
    this.base = (options.baseURL ?? "https://generativelanguage.googleapis.com").replace(/\/+$/, "");
    this.price = options.pricePerImageMinor ?? 3n;
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
      let response: Response;
      try {
        response = await fetch(`${this.base}/v1beta/models/${encodeURIComponent(this.model)}:predict`, {
          method: "POST",
          headers: { "content-type": "application/json", "x-goog-api-key": this.options.apiKey },
          body: JSON.stringify({
            instances: [{ prompt: `${image.style}: ${image.prompt}` }],
            parameters: { sampleCount: 1, aspectRatio: imagenAspect(image.width, image.height) },
          }),
          signal,
        });
      } catch (error) {
        if (signal.aborted) throw error;
        throw new ProviderError("network", `Google's API is unreachable: ${String(error)}`, { cause: error });
      }
      const body = (await response.json().catch(() => null)) as {
        predictions?: Array<{ bytesBase64Encoded?: string; mimeType?: string }>;
        error?: { message?: string };
      } | null;
      if (!response.ok) {
        throw new ProviderError(
          kindOfStatus(response.status),
          `Google's API answered ${response.status}: ${body?.error?.message ?? response.statusText}`,
          { status: response.status },
        );
      }
      const prediction = body?.predictions?.[0];
      if (!prediction?.bytesBase64Encoded) {
        throw new ProviderError("bad_response", "Google's API answered without an image (filtered or empty)");
      }
      const bytes = Buffer.from(prediction.bytesBase64Encoded, "base64");
      const png = pngSize(bytes);
      const jpeg = png ? null : jpegSize(bytes);
      const size = png ?? jpeg;
      if (!size)
        throw new ProviderError(
          "bad_response",
          "Google's API answered with bytes that are not a PNG or JPEG",
        );
      return {
        output: {
          modality: "image",
          bytes,
          contentType: png ? "image/png" : "image/jpeg",
          width: size.width,
          height: size.height,
        },
        usage: { inputTokens: 0, outputTokens: 0, images: 1 },
      };
    });
  }
}

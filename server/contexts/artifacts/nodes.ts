// IR → nodes (ARTIF-002): every piece of an artifact that a provider makes — generated text, an
// image, a video storyboard — becomes a node with a provider-neutral request. Literal text needs no
// node. Pure: the same IR always plans the same nodes with the same ids and requests.
import { canonicalJson } from "@/server/shared/canonical-json";
import type { ArtifactModality } from "@/server/shared/events/catalog/artifacts";
import type { ArtifactIr, Block, ImageSpec } from "./ir";
import { sha256Hex } from "./ir";

export type TextRequest = {
  modality: "text";
  system: string;
  prompt: string;
  maxWords: number;
  tone: string;
};

export type ImageRequest = {
  modality: "image";
  prompt: string;
  width: number;
  height: number;
  style: ImageSpec["style"];
  /** Distinguishes variants of one brief, so each is its own request. */
  variant: number;
};

export type VideoRequest = {
  modality: "video";
  title: string;
  logline: string;
  durationSeconds: number;
  aspectRatio: string;
  scenes: Array<{ id: string; description: string; durationSeconds: number; voiceover: string | null }>;
};

export type NodeRequest = TextRequest | ImageRequest | VideoRequest;

export type PlannedNode = {
  /** Stable within the IR: "<section or slide id>.<block index>", "variant-1", "storyboard". */
  id: string;
  modality: ArtifactModality;
  request: NodeRequest;
  /** What a person reads in the manifest: the prompt as sent. */
  prompt: string;
};

const kindLabels: Record<ArtifactIr["kind"], string> = {
  document: "a document",
  landing_page: "a landing page",
  pitch_deck: "a pitch deck",
  image_brief: "an image brief",
  video_brief: "a video brief",
};

function blockNodes(
  ir: ArtifactIr,
  owner: string,
  heading: string | undefined,
  blocks: Block[],
): PlannedNode[] {
  const nodes: PlannedNode[] = [];
  for (const [index, block] of blocks.entries()) {
    const id = `${owner}.${index}`;
    if (block.type === "text" && typeof block.text !== "string") {
      const { prompt, maxWords, tone } = block.text.generate;
      const system =
        `You write copy for ${kindLabels[ir.kind]} titled "${ir.title}"` +
        `${heading ? `, in the part "${heading}"` : ""}. Tone: ${tone}. ` +
        `At most ${maxWords} words of plain text: no markdown, no headings, no quotes around it.`;
      nodes.push({
        id,
        modality: "text",
        request: { modality: "text", system, prompt, maxWords, tone },
        prompt: `${system}\n\n${prompt}`,
      });
    }
    if (block.type === "image") nodes.push(imageNode(id, block.image, 1));
  }
  return nodes;
}

function imageNode(id: string, image: ImageSpec, variant: number): PlannedNode {
  return {
    id,
    modality: "image",
    request: {
      modality: "image",
      prompt: image.prompt,
      width: image.width,
      height: image.height,
      style: image.style,
      variant,
    },
    prompt: `${image.style}: ${image.prompt} (${image.width}×${image.height})`,
  };
}

export function planNodes(ir: ArtifactIr): PlannedNode[] {
  switch (ir.kind) {
    case "document":
    case "landing_page":
      return ir.sections.flatMap((section) => blockNodes(ir, section.id, section.heading, section.blocks));
    case "pitch_deck":
      return ir.slides.flatMap((slide) => blockNodes(ir, slide.id, slide.title, slide.blocks));
    case "image_brief":
      return Array.from({ length: ir.variants }, (_, i) => imageNode(`variant-${i + 1}`, ir.image, i + 1));
    case "video_brief": {
      const request: VideoRequest = {
        modality: "video",
        title: ir.title,
        logline: ir.logline,
        durationSeconds: ir.durationSeconds,
        aspectRatio: ir.aspectRatio,
        scenes: ir.scenes.map((s) => ({
          id: s.id,
          description: s.description,
          durationSeconds: s.durationSeconds,
          voiceover: s.voiceover ?? null,
        })),
      };
      return [
        {
          id: "storyboard",
          modality: "video",
          request,
          prompt: `Storyboard for "${ir.title}" (${ir.durationSeconds} s, ${ir.aspectRatio}): ${ir.logline}`,
        },
      ];
    }
  }
}

/**
 * ARTIF-006: a node's cache key — its request (the node's IR, with everything from the artifact
 * that shapes it), the provider chain that would answer it, and its inputs (none yet: nodes do
 * not depend on one another). Change any of them and the node is built again.
 */
export function nodeHash(
  node: PlannedNode,
  chain: readonly string[],
  inputs: readonly string[] = [],
): string {
  return sha256Hex(
    canonicalJson({ format: "venture-artifact-node/1", request: node.request, chain, inputs }),
  );
}

/** A provider request's content address: what replay looks responses up by. */
export function requestHash(provider: string, model: string, request: NodeRequest): string {
  return sha256Hex(canonicalJson({ format: "venture-artifact-request/1", provider, model, request }));
}

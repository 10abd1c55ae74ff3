// The artifact IR (ARTIF-001): one zod schema per kind — document, landing page, pitch deck, image
// brief, video brief — over a shared vocabulary of blocks. A parsed IR (defaults filled in) is
// content-addressed by the SHA-256 of its canonical JSON (RFC 8785, server/shared/canonical-json),
// so two IRs that mean the same thing have the same hash whatever their key order or spacing.
import { createHash } from "node:crypto";
import { z } from "zod";
import { canonicalJson } from "@/server/shared/canonical-json";
import { AppError } from "@/server/shared/errors";
import type { ArtifactKind } from "@/server/shared/events/catalog/artifacts";

const text = (max: number) =>
  z.string().trim().min(1, "must not be empty").max(max, `at most ${max} characters`);

const nodeId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, "lower-case letters, digits, - and _, at most 40 characters");

/** Text written by a model from a prompt (a text node), or given literally. */
export const generateSchema = z
  .object({
    prompt: text(2_000),
    maxWords: z.number().int().min(5, "at least 5").max(400, "at most 400").default(80),
    tone: z.enum(["neutral", "friendly", "formal", "bold"]).default("neutral"),
  })
  .strict();

export const textSourceSchema = z.union([text(5_000), z.object({ generate: generateSchema }).strict()]);

export const imageSpecSchema = z
  .object({
    prompt: text(1_000),
    alt: text(300),
    width: z.number().int().min(64, "at least 64").max(1_600, "at most 1600").default(960),
    height: z.number().int().min(64, "at least 64").max(1_600, "at most 1600").default(540),
    style: z.enum(["illustration", "photo", "diagram", "abstract"]).default("illustration"),
  })
  .strict();

const href = z
  .string()
  .trim()
  .max(500, "at most 500 characters")
  .regex(
    /^(https?:\/\/[^\s"'<>]+|\/[^\s"'<>]*|#[A-Za-z0-9_-]*|mailto:[^\s"'<>]+)$/,
    "an http(s), /path, #anchor or mailto: link",
  );

export const blockSchema = z.discriminatedUnion("type", [
  z
    .object({ type: z.literal("heading"), text: text(200), level: z.number().int().min(1).max(3).default(2) })
    .strict(),
  z.object({ type: z.literal("text"), text: textSourceSchema }).strict(),
  z
    .object({ type: z.literal("list"), items: z.array(text(500)).min(1, "at least one item").max(20) })
    .strict(),
  z.object({ type: z.literal("image"), image: imageSpecSchema, caption: text(300).optional() }).strict(),
  z
    .object({
      type: z.literal("quote"),
      text: text(1_000),
      attribution: text(200),
      /** A testimonial is publishable only when someone checked it is real (publishing policy). */
      verified: z.boolean().default(false),
    })
    .strict(),
  z.object({ type: z.literal("cta"), label: text(60), href }).strict(),
  z
    .object({
      type: z.literal("pricing"),
      plans: z
        .array(
          z
            .object({
              name: text(60),
              priceMinor: z.string().regex(/^\d{1,12}$/, "minor units as a string of digits"),
              currency: z.string().regex(/^[A-Z]{3}$/, "a three-letter currency code"),
              interval: z.enum(["once", "month", "year"]).default("month"),
              features: z.array(text(200)).max(10).default([]),
            })
            .strict(),
        )
        .min(1, "at least one plan")
        .max(4, "at most 4 plans"),
    })
    .strict(),
]);

export const sectionSchema = z
  .object({
    id: nodeId,
    heading: text(200).optional(),
    layout: z.enum(["hero", "default", "split", "centered"]).default("default"),
    blocks: z.array(blockSchema).min(1, "at least one block").max(30, "at most 30 blocks"),
  })
  .strict();

export const themeSchema = z
  .object({
    primaryColor: z
      .string()
      .regex(/^#[0-9a-fA-F]{6}$/, "a colour like #0f766e")
      .default("#0f766e"),
    font: z.enum(["sans", "serif"]).default("sans"),
  })
  .strict();

const base = {
  irVersion: z.literal(1),
  title: text(200),
};

export const documentIrSchema = z
  .object({
    ...base,
    kind: z.literal("document"),
    subtitle: text(300).optional(),
    theme: themeSchema.default({ primaryColor: "#0f766e", font: "serif" }),
    sections: z.array(sectionSchema).min(1, "at least one section").max(50, "at most 50 sections"),
  })
  .strict();

export const landingPageIrSchema = z
  .object({
    ...base,
    kind: z.literal("landing_page"),
    description: text(300).optional(),
    theme: themeSchema.default({ primaryColor: "#0f766e", font: "sans" }),
    sections: z.array(sectionSchema).min(1, "at least one section").max(30, "at most 30 sections"),
  })
  .strict();

export const pitchDeckIrSchema = z
  .object({
    ...base,
    kind: z.literal("pitch_deck"),
    theme: themeSchema.default({ primaryColor: "#1d4ed8", font: "sans" }),
    slides: z
      .array(
        z
          .object({
            id: nodeId,
            title: text(200),
            blocks: z.array(blockSchema).max(12, "at most 12 blocks").default([]),
            notes: text(2_000).optional(),
          })
          .strict(),
      )
      .min(1, "at least one slide")
      .max(40, "at most 40 slides"),
  })
  .strict();

export const imageBriefIrSchema = z
  .object({
    ...base,
    kind: z.literal("image_brief"),
    image: imageSpecSchema,
    variants: z.number().int().min(1, "at least 1").max(4, "at most 4").default(1),
    notes: text(1_000).optional(),
  })
  .strict();

export const videoBriefIrSchema = z
  .object({
    ...base,
    kind: z.literal("video_brief"),
    logline: text(500),
    durationSeconds: z.number().int().min(5, "at least 5").max(600, "at most 600"),
    aspectRatio: z.enum(["16:9", "9:16", "1:1"]).default("16:9"),
    scenes: z
      .array(
        z
          .object({
            id: nodeId,
            description: text(1_000),
            durationSeconds: z.number().int().min(1, "at least 1").max(120, "at most 120"),
            voiceover: text(1_000).optional(),
          })
          .strict(),
      )
      .min(1, "at least one scene")
      .max(40, "at most 40 scenes"),
  })
  .strict();

function uniqueIds(items: Array<{ id: string }>, path: string, ctx: z.RefinementCtx) {
  const seen = new Set<string>();
  for (const [index, item] of items.entries()) {
    if (seen.has(item.id)) {
      ctx.addIssue({ code: "custom", path: [path, index, "id"], message: `duplicate id ${item.id}` });
    }
    seen.add(item.id);
  }
}

/** Any artifact IR, discriminated by kind; ids of sections, slides and scenes are unique. */
export const artifactIrSchema = z
  .discriminatedUnion("kind", [
    documentIrSchema,
    landingPageIrSchema,
    pitchDeckIrSchema,
    imageBriefIrSchema,
    videoBriefIrSchema,
  ])
  .superRefine((ir, ctx) => {
    if (ir.kind === "document" || ir.kind === "landing_page") uniqueIds(ir.sections, "sections", ctx);
    if (ir.kind === "pitch_deck") uniqueIds(ir.slides, "slides", ctx);
    if (ir.kind === "video_brief") uniqueIds(ir.scenes, "scenes", ctx);
  });

export type ArtifactIr = z.infer<typeof artifactIrSchema>;
export type Block = z.infer<typeof blockSchema>;
export type Section = z.infer<typeof sectionSchema>;
export type ImageSpec = z.infer<typeof imageSpecSchema>;
export type TextSource = z.infer<typeof textSourceSchema>;
export type Theme = z.infer<typeof themeSchema>;

export type ParsedIr = { ir: ArtifactIr; canonical: string; irHash: string };

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The content address of a parsed IR. */
export function hashIr(ir: ArtifactIr): { canonical: string; irHash: string } {
  const canonical = canonicalJson(ir);
  return { canonical, irHash: sha256Hex(canonical) };
}

/**
 * Validates raw input as an IR. Bad input is BAD_REQUEST with details.fields naming each offending
 * field under `prefix` (e.g. "ir.sections.0.blocks.1.text"), so nothing is written.
 */
export function parseIr(raw: unknown, prefix = "ir"): ParsedIr {
  const parsed = artifactIrSchema.safeParse(raw);
  if (!parsed.success) {
    const fields: Record<string, string> = {};
    for (const issue of parsed.error.issues) {
      const path = [prefix, ...issue.path.map(String)].filter(Boolean).join(".");
      fields[path] ??= issue.message;
    }
    const summary = Object.entries(fields)
      .slice(0, 5)
      .map(([field, message]) => `${field}: ${message}`)
      .join("; ");
    throw new AppError("BAD_REQUEST", `Invalid artifact IR: ${summary}`, { fields });
  }
  return { ir: parsed.data, ...hashIr(parsed.data) };
}

export function slugify(value: string): string {
  const slug = value
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 60)
    .replace(/-+$/g, "");
  return slug || "artifact";
}

/** A small valid IR of each kind: the starting point the UI offers for a new artifact. */
export function starterIr(kind: ArtifactKind, title: string): ArtifactIr {
  switch (kind) {
    case "landing_page":
      return artifactIrSchema.parse({
        irVersion: 1,
        kind,
        title,
        description: `${title}: what it is and why it matters`,
        sections: [
          {
            id: "hero",
            layout: "hero",
            heading: title,
            blocks: [
              {
                type: "text",
                text: { generate: { prompt: `A one-sentence pitch for ${title}`, maxWords: 30 } },
              },
              { type: "image", image: { prompt: `Hero illustration for ${title}`, alt: title } },
              { type: "cta", label: "Get started", href: "#signup" },
            ],
          },
          {
            id: "features",
            heading: "Why it works",
            blocks: [
              { type: "list", items: ["Simple to start", "Built for teams", "Fair pricing"] },
              { type: "text", text: { generate: { prompt: `Explain the main benefit of ${title}` } } },
            ],
          },
        ],
      });
    case "document":
      return artifactIrSchema.parse({
        irVersion: 1,
        kind,
        title,
        sections: [
          {
            id: "summary",
            heading: "Summary",
            blocks: [{ type: "text", text: { generate: { prompt: `Summarise ${title}`, maxWords: 120 } } }],
          },
        ],
      });
    case "pitch_deck":
      return artifactIrSchema.parse({
        irVersion: 1,
        kind,
        title,
        slides: [
          { id: "title", title, blocks: [{ type: "text", text: "The pitch in one line." }] },
          {
            id: "problem",
            title: "The problem",
            blocks: [{ type: "text", text: { generate: { prompt: `The problem ${title} solves` } } }],
          },
        ],
      });
    case "image_brief":
      return artifactIrSchema.parse({
        irVersion: 1,
        kind,
        title,
        image: { prompt: `Key visual for ${title}`, alt: title },
      });
    case "video_brief":
      return artifactIrSchema.parse({
        irVersion: 1,
        kind,
        title,
        logline: `A short film about ${title}`,
        durationSeconds: 30,
        scenes: [
          { id: "open", description: "Opening shot of the product in use", durationSeconds: 10 },
          {
            id: "close",
            description: "Logo and call to action",
            durationSeconds: 5,
            voiceover: "Try it today",
          },
        ],
      });
  }
}

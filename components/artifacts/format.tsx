// Labels, badges and starter IRs for the artifact pages (client-side: a copy of the shapes the
// server's zod schema accepts; the server validates every field anyway).
import { Badge } from "@/components/ui/badge";

export const kindLabels = {
  landing_page: "Landing page",
  document: "Document",
  pitch_deck: "Pitch deck",
  image_brief: "Image brief",
  video_brief: "Video brief",
} as const;

const tones = { draft: "neutral", in_review: "amber", approved: "blue", published: "green" } as const;

export function ArtifactStatusBadge({ status }: { status: keyof typeof tones }) {
  return <Badge tone={tones[status]}>{status.replace("_", " ")}</Badge>;
}

export function starterIrText(kind: keyof typeof kindLabels, title: string): string {
  const base = { irVersion: 1, kind, title };
  const ir =
    kind === "landing_page"
      ? {
          ...base,
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
                {
                  type: "image",
                  image: { prompt: `Hero illustration for ${title}`, alt: title, width: 640, height: 360 },
                },
                { type: "cta", label: "Get started", href: "#signup" },
              ],
            },
            {
              id: "benefits",
              heading: "Why it works",
              blocks: [
                { type: "list", items: ["Simple to start", "Built for teams", "Fair pricing"] },
                {
                  type: "text",
                  text: { generate: { prompt: `Explain the main benefit of ${title}`, maxWords: 60 } },
                },
              ],
            },
          ],
        }
      : kind === "document"
        ? {
            ...base,
            sections: [
              {
                id: "summary",
                heading: "Summary",
                blocks: [
                  { type: "text", text: { generate: { prompt: `Summarise ${title}`, maxWords: 120 } } },
                ],
              },
            ],
          }
        : kind === "pitch_deck"
          ? {
              ...base,
              slides: [
                { id: "title", title, blocks: [{ type: "text", text: "The pitch in one line." }] },
                {
                  id: "problem",
                  title: "The problem",
                  blocks: [
                    {
                      type: "text",
                      text: { generate: { prompt: `The problem ${title} solves`, maxWords: 50 } },
                    },
                  ],
                },
              ],
            }
          : kind === "image_brief"
            ? {
                ...base,
                image: { prompt: `Key visual for ${title}`, alt: title, width: 960, height: 540 },
                variants: 2,
              }
            : {
                ...base,
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
              };
  return JSON.stringify(ir, null, 2);
}

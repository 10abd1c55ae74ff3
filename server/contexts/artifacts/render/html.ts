// IR + resolved nodes → one self-contained HTML page (images inlined as data: URIs), and the same
// content as Markdown (images as files beside it). Pure and deterministic: no clock, no randomness,
// fixed fonts and sizes, so the browser renders the same pixels and PDF every time.
import type { ArtifactIr, Block, Theme } from "../ir";
import type { Storyboard } from "../providers/types";

export type ResolvedImage = {
  sha256: string;
  contentType: string;
  width: number;
  height: number;
  bytes: Buffer;
};

export type Resolved = {
  texts: Map<string, string>;
  images: Map<string, ResolvedImage>;
  storyboard: Storyboard | null;
};

export function escapeHtml(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

export function assetName(image: { sha256: string; contentType: string }): string {
  return `assets/${image.sha256}.${image.contentType === "image/jpeg" ? "jpg" : "png"}`;
}

function dataUri(image: ResolvedImage): string {
  return `data:${image.contentType};base64,${image.bytes.toString("base64")}`;
}

function formatPrice(priceMinor: string, currency: string): string {
  const value = BigInt(priceMinor);
  const major = value / 100n;
  const cents = (value % 100n).toString().padStart(2, "0");
  return `${currency} ${major.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",")}.${cents}`;
}

const intervals = { once: "", month: " / month", year: " / year" } as const;

function textOf(block: Extract<Block, { type: "text" }>, nodeId: string, resolved: Resolved): string {
  return typeof block.text === "string" ? block.text : (resolved.texts.get(nodeId) ?? "");
}

function paragraphs(text: string): string {
  return text
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p.trim()).replaceAll("\n", "<br>")}</p>`)
    .join("\n");
}

function blockHtml(block: Block, nodeId: string, resolved: Resolved): string {
  switch (block.type) {
    case "heading":
      return `<h${block.level + 1}>${escapeHtml(block.text)}</h${block.level + 1}>`;
    case "text":
      return paragraphs(textOf(block, nodeId, resolved));
    case "list":
      return `<ul>${block.items.map((item) => `<li>${escapeHtml(item)}</li>`).join("")}</ul>`;
    case "image": {
      const image = resolved.images.get(nodeId);
      if (!image) return "";
      const caption = block.caption ? `<figcaption>${escapeHtml(block.caption)}</figcaption>` : "";
      return `<figure><img src="${dataUri(image)}" alt="${escapeHtml(block.image.alt)}" width="${image.width}" height="${image.height}">${caption}</figure>`;
    }
    case "quote":
      return `<blockquote><p>${escapeHtml(block.text)}</p><cite>${escapeHtml(block.attribution)}</cite></blockquote>`;
    case "cta":
      return `<p class="cta"><a href="${escapeHtml(block.href)}">${escapeHtml(block.label)}</a></p>`;
    case "pricing":
      return `<div class="plans">${block.plans
        .map(
          (plan) =>
            `<div class="plan"><h4>${escapeHtml(plan.name)}</h4><p class="price">${escapeHtml(formatPrice(plan.priceMinor, plan.currency))}${intervals[plan.interval]}</p>${
              plan.features.length > 0
                ? `<ul>${plan.features.map((f) => `<li>${escapeHtml(f)}</li>`).join("")}</ul>`
                : ""
            }</div>`,
        )
        .join("")}</div>`;
  }
}

function styles(theme: Theme, kind: ArtifactIr["kind"]): string {
  const font =
    theme.font === "serif"
      ? '"Liberation Serif", "DejaVu Serif", Georgia, serif'
      : '"Liberation Sans", "DejaVu Sans", Arial, Helvetica, sans-serif';
  const deck =
    kind === "pitch_deck"
      ? `.slide{width:1280px;height:720px;box-sizing:border-box;padding:64px 80px;page-break-after:always;break-after:page;border-bottom:1px solid #e2e8f0;position:relative;overflow:hidden}
.slide h2{font-size:44px;color:${theme.primaryColor};margin:0 0 24px}
.slide p,.slide li{font-size:24px}
.slide .notes{display:none}
@page{size:1280px 720px;margin:0}`
      : "@page{size:A4;margin:16mm}";
  return `*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
html{font-family:${font};color:#0f172a;background:#fff}
body{margin:0;font-size:17px;line-height:1.55}
main{max-width:${kind === "pitch_deck" ? "1280px" : "960px"};margin:0 auto}
section{padding:40px 48px}
section.hero{background:${theme.primaryColor};color:#fff;text-align:center;padding:72px 48px}
section.hero h1{font-size:44px;margin:0 0 16px}
section.centered{text-align:center}
section.split .body{display:grid;grid-template-columns:1fr 1fr;gap:32px;align-items:start}
h1{font-size:36px;line-height:1.2}h2{font-size:28px;color:${theme.primaryColor}}h3{font-size:22px}h4{font-size:18px;margin:0 0 8px}
section.hero h2{color:#fff}
figure{margin:16px 0}img{max-width:100%;height:auto;border-radius:8px;display:block;margin:0 auto}
figcaption{font-size:14px;color:#475569;text-align:center;margin-top:6px}
blockquote{border-left:4px solid ${theme.primaryColor};margin:16px 0;padding:4px 16px;color:#334155}
blockquote cite{display:block;font-style:normal;font-size:14px;color:#64748b}
.cta a{display:inline-block;background:#0f172a;color:#fff;text-decoration:none;padding:12px 24px;border-radius:8px;font-weight:bold}
section.hero .cta a{background:#fff;color:${theme.primaryColor}}
.plans{display:flex;gap:16px;flex-wrap:wrap}.plan{flex:1;min-width:180px;border:1px solid #cbd5e1;border-radius:8px;padding:16px}
.price{font-size:22px;font-weight:bold}
header.doc{padding:48px 48px 8px}header.doc h1{margin:0}header.doc p{color:#475569;margin:8px 0 0}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #cbd5e1;padding:6px 8px;text-align:left;font-size:15px;vertical-align:top}
${deck}`;
}

function sectionHtml(
  owner: string,
  heading: string | undefined,
  layout: string,
  blocks: Block[],
  resolved: Resolved,
  headingTag: "h1" | "h2",
): string {
  const body = blocks.map((block, index) => blockHtml(block, `${owner}.${index}`, resolved)).join("\n");
  const title = heading ? `<${headingTag}>${escapeHtml(heading)}</${headingTag}>` : "";
  return `<section id="${escapeHtml(owner)}" class="${layout}">${title}<div class="body">${body}</div></section>`;
}

function storyboardHtml(storyboard: Storyboard): string {
  const rows = storyboard.shots
    .map(
      (s) =>
        `<tr><td>${escapeHtml(s.id)}</td><td>${s.startSeconds}–${s.startSeconds + s.durationSeconds} s</td><td>${escapeHtml(s.camera)}</td><td>${escapeHtml(s.description)}</td><td>${escapeHtml(s.voiceover ?? "")}</td></tr>`,
    )
    .join("");
  return `<table><thead><tr><th>Shot</th><th>Time</th><th>Camera</th><th>Action</th><th>Voice-over</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function renderHtml(ir: ArtifactIr, resolved: Resolved): string {
  const theme: Theme = "theme" in ir && ir.theme ? ir.theme : { primaryColor: "#0f766e", font: "sans" };
  let body: string;
  let description = "";
  switch (ir.kind) {
    case "landing_page":
      description = ir.description ?? "";
      body = ir.sections
        .map((s, i) =>
          sectionHtml(
            s.id,
            s.heading,
            s.layout,
            s.blocks,
            resolved,
            i === 0 && s.layout === "hero" ? "h1" : "h2",
          ),
        )
        .join("\n");
      if (!(ir.sections[0]?.layout === "hero" && ir.sections[0].heading)) {
        body = `<header class="doc"><h1>${escapeHtml(ir.title)}</h1></header>\n${body}`;
      }
      break;
    case "document":
      body = `<header class="doc"><h1>${escapeHtml(ir.title)}</h1>${ir.subtitle ? `<p>${escapeHtml(ir.subtitle)}</p>` : ""}</header>\n${ir.sections
        .map((s) => sectionHtml(s.id, s.heading, s.layout, s.blocks, resolved, "h2"))
        .join("\n")}`;
      break;
    case "pitch_deck":
      body = ir.slides
        .map(
          (slide) =>
            `<div class="slide" id="${escapeHtml(slide.id)}"><h2>${escapeHtml(slide.title)}</h2>${slide.blocks
              .map((block, index) => blockHtml(block, `${slide.id}.${index}`, resolved))
              .join(
                "\n",
              )}${slide.notes ? `<aside class="notes">${escapeHtml(slide.notes)}</aside>` : ""}</div>`,
        )
        .join("\n");
      break;
    case "image_brief": {
      const figures = Array.from({ length: ir.variants }, (_, i) => {
        const image = resolved.images.get(`variant-${i + 1}`);
        return image
          ? `<figure><img src="${dataUri(image)}" alt="${escapeHtml(ir.image.alt)}" width="${image.width}" height="${image.height}"><figcaption>Variant ${i + 1}</figcaption></figure>`
          : "";
      }).join("\n");
      body = `<header class="doc"><h1>${escapeHtml(ir.title)}</h1><p>${escapeHtml(ir.image.prompt)}</p></header><section>${figures}${
        ir.notes ? paragraphs(ir.notes) : ""
      }</section>`;
      break;
    }
    case "video_brief":
      body = `<header class="doc"><h1>${escapeHtml(ir.title)}</h1><p>${escapeHtml(ir.logline)} · ${ir.durationSeconds} s · ${ir.aspectRatio}</p></header><section><h2>Storyboard</h2>${
        resolved.storyboard ? storyboardHtml(resolved.storyboard) : ""
      }</section>`;
      break;
  }
  const meta = description ? `<meta name="description" content="${escapeHtml(description)}">` : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(ir.title)}</title>${meta}<meta name="generator" content="venture-artifact-compiler/1">
<style>${styles(theme, ir.kind)}</style></head>
<body><main>
${body}
</main></body></html>
`;
}

function mdEscape(value: string): string {
  return value.replace(/([\\`*_[\]<>#|])/g, "\\$1");
}

function blockMarkdown(block: Block, nodeId: string, resolved: Resolved): string {
  switch (block.type) {
    case "heading":
      return `${"#".repeat(block.level + 1)} ${mdEscape(block.text)}`;
    case "text":
      return mdEscape(textOf(block, nodeId, resolved));
    case "list":
      return block.items.map((item) => `- ${mdEscape(item)}`).join("\n");
    case "image": {
      const image = resolved.images.get(nodeId);
      if (!image) return "";
      return `![${mdEscape(block.image.alt)}](${assetName(image)})${block.caption ? `\n\n*${mdEscape(block.caption)}*` : ""}`;
    }
    case "quote":
      return `> ${mdEscape(block.text)}\n>\n> — ${mdEscape(block.attribution)}`;
    case "cta":
      return `[${mdEscape(block.label)}](${block.href})`;
    case "pricing":
      return block.plans
        .map(
          (plan) =>
            `- **${mdEscape(plan.name)}**: ${formatPrice(plan.priceMinor, plan.currency)}${intervals[plan.interval]}${plan.features
              .map((f) => `\n  - ${mdEscape(f)}`)
              .join("")}`,
        )
        .join("\n");
  }
}

export function renderMarkdown(ir: ArtifactIr, resolved: Resolved): string {
  const parts: string[] = [`# ${mdEscape(ir.title)}`];
  const blocks = (owner: string, list: Block[]) =>
    list.map((block, index) => blockMarkdown(block, `${owner}.${index}`, resolved)).filter(Boolean);
  switch (ir.kind) {
    case "landing_page":
    case "document":
      if (ir.kind === "document" && ir.subtitle) parts.push(`*${mdEscape(ir.subtitle)}*`);
      if (ir.kind === "landing_page" && ir.description) parts.push(mdEscape(ir.description));
      for (const section of ir.sections) {
        if (section.heading) parts.push(`## ${mdEscape(section.heading)}`);
        parts.push(...blocks(section.id, section.blocks));
      }
      break;
    case "pitch_deck":
      for (const [i, slide] of ir.slides.entries()) {
        parts.push(`## ${i + 1}. ${mdEscape(slide.title)}`, ...blocks(slide.id, slide.blocks));
        if (slide.notes) parts.push(`> Notes: ${mdEscape(slide.notes)}`);
      }
      break;
    case "image_brief":
      parts.push(mdEscape(ir.image.prompt));
      for (let i = 1; i <= ir.variants; i++) {
        const image = resolved.images.get(`variant-${i}`);
        if (image) parts.push(`![${mdEscape(ir.image.alt)} (variant ${i})](${assetName(image)})`);
      }
      if (ir.notes) parts.push(mdEscape(ir.notes));
      break;
    case "video_brief":
      parts.push(`${mdEscape(ir.logline)} · ${ir.durationSeconds} s · ${ir.aspectRatio}`, "## Storyboard");
      parts.push(
        "| Shot | Time | Camera | Action | Voice-over |\n|---|---|---|---|---|\n" +
          (resolved.storyboard?.shots ?? [])
            .map(
              (s) =>
                `| ${s.id} | ${s.startSeconds}–${s.startSeconds + s.durationSeconds} s | ${mdEscape(s.camera)} | ${mdEscape(s.description)} | ${mdEscape(s.voiceover ?? "")} |`,
            )
            .join("\n"),
      );
      break;
  }
  return `${parts.join("\n\n")}\n`;
}

/** Every piece of text an artifact shows, with where it is: what the claims check reads. */
export function textsOf(ir: ArtifactIr, resolved: Resolved): Array<{ where: string; text: string }> {
  const out: Array<{ where: string; text: string }> = [{ where: "title", text: ir.title }];
  const fromBlocks = (owner: string, list: Block[]) => {
    for (const [index, block] of list.entries()) {
      const where = `${owner}.${index}`;
      if (block.type === "heading") out.push({ where, text: block.text });
      if (block.type === "text") out.push({ where, text: textOf(block, where, resolved) });
      if (block.type === "list") out.push({ where, text: block.items.join("\n") });
      if (block.type === "quote") out.push({ where, text: block.text });
      if (block.type === "cta") out.push({ where, text: block.label });
      if (block.type === "image" && block.caption) out.push({ where, text: block.caption });
    }
  };
  if (ir.kind === "landing_page" || ir.kind === "document") {
    if (ir.kind === "landing_page" && ir.description)
      out.push({ where: "description", text: ir.description });
    for (const s of ir.sections) {
      if (s.heading) out.push({ where: s.id, text: s.heading });
      fromBlocks(s.id, s.blocks);
    }
  }
  if (ir.kind === "pitch_deck")
    for (const slide of ir.slides) {
      out.push({ where: slide.id, text: slide.title });
      fromBlocks(slide.id, slide.blocks);
    }
  if (ir.kind === "video_brief") {
    out.push({ where: "logline", text: ir.logline });
    for (const shot of resolved.storyboard?.shots ?? [])
      out.push({ where: shot.id, text: `${shot.description} ${shot.voiceover ?? ""}` });
  }
  if (ir.kind === "image_brief" && ir.notes) out.push({ where: "notes", text: ir.notes });
  return out;
}

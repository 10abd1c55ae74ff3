// Text of a PDF written by Chromium (Skia), for tests: inflate every stream with node:zlib, map
// each Type0 font's glyph ids to Unicode through its ToUnicode CMap, and read the text-showing
// operators (Tj, TJ) of the page content streams with the font selected by Tf. Enough for
// Chromium's output; not a general PDF parser.
import { inflateSync } from "node:zlib";

type PdfObject = { id: number; dict: string; stream: Buffer | null };

/** The dictionary starting at `start` ("<<"), with nested dictionaries balanced. */
function balancedDict(text: string, start: number): string {
  let depth = 0;
  for (let i = start; i < text.length - 1; i++) {
    if (text[i] === "<" && text[i + 1] === "<") {
      depth++;
      i++;
    } else if (text[i] === ">" && text[i + 1] === ">") {
      depth--;
      i++;
      if (depth === 0) return text.slice(start, i + 1);
    }
  }
  return text.slice(start);
}

function objects(pdf: Buffer): Map<number, PdfObject> {
  const text = pdf.toString("latin1");
  const out = new Map<number, PdfObject>();
  const re = /(\d+) 0 obj\s*<</g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const id = Number(m[1]);
    const dictStart = m.index + m[0].length - 2;
    const dict = balancedDict(text, dictStart);
    let stream: Buffer | null = null;
    const after = /^\s*stream\r?\n/.exec(text.slice(dictStart + dict.length, dictStart + dict.length + 16));
    if (after) {
      const start = dictStart + dict.length + after[0].length;
      const length = Number(/\/Length (\d+)/.exec(dict)?.[1] ?? 0);
      const raw = pdf.subarray(start, start + length);
      stream = /\/FlateDecode/.test(dict) ? inflateSync(raw) : Buffer.from(raw);
      re.lastIndex = start + length;
    }
    out.set(id, { id, dict, stream });
  }
  return out;
}

function cmap(stream: string): Map<number, string> {
  const map = new Map<number, string>();
  const hex = (h: string) => Number.parseInt(h, 16);
  const unicode = (h: string) => String.fromCodePoint(...(h.match(/.{4}/g) ?? []).map(hex));
  for (const block of stream.matchAll(/beginbfchar([\s\S]*?)endbfchar/g))
    for (const m of block[1]!.matchAll(/<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>/g))
      map.set(hex(m[1]!), unicode(m[2]!));
  for (const block of stream.matchAll(/beginbfrange([\s\S]*?)endbfrange/g))
    for (const m of block[1]!.matchAll(/<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>/g)) {
      const start = hex(m[3]!);
      for (let c = hex(m[1]!); c <= hex(m[2]!); c++) map.set(c, String.fromCodePoint(start + c - hex(m[1]!)));
    }
  return map;
}

export function pdfText(pdf: Buffer): string {
  const objs = objects(pdf);
  const fonts = new Map<number, Map<number, string>>();
  for (const obj of objs.values()) {
    const toUnicode = /\/ToUnicode (\d+) 0 R/.exec(obj.dict);
    if (toUnicode && /\/Type \/Font/.test(obj.dict)) {
      const stream = objs.get(Number(toUnicode[1]))?.stream;
      if (stream) fonts.set(obj.id, cmap(stream.toString("latin1")));
    }
  }
  const parts: string[] = [];
  for (const page of objs.values()) {
    if (!/\/Type \/Page\b/.test(page.dict)) continue;
    const names = new Map<string, number>();
    const fontDict = /\/Font\s*<<([^<>]*)>>/.exec(page.dict)?.[1] ?? "";
    for (const m of fontDict.matchAll(/\/(\w+) (\d+) 0 R/g)) names.set(m[1]!, Number(m[2]));
    const contents = /\/Contents (\d+) 0 R/.exec(page.dict);
    const content = contents ? objs.get(Number(contents[1]))?.stream?.toString("latin1") : undefined;
    if (!content) continue;
    let font: Map<number, string> | undefined;
    const decode = (hex: string) =>
      (hex.match(/.{4}/g) ?? []).map((g) => font?.get(Number.parseInt(g, 16)) ?? "").join("");
    for (const m of content.matchAll(/\/(\w+) [\d.]+ Tf|<([0-9A-Fa-f]*)> Tj|\[((?:[^\]])*)\] TJ|(ET)/g)) {
      if (m[1]) font = fonts.get(names.get(m[1]) ?? -1);
      else if (m[2] !== undefined) parts.push(decode(m[2]));
      else if (m[3] !== undefined)
        for (const h of m[3].matchAll(/<([0-9A-Fa-f]*)>/g)) parts.push(decode(h[1]!));
      else if (m[4]) parts.push(" ");
    }
  }
  return parts.join("").replace(/\s+/g, " ").trim();
}

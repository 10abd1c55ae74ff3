// What a build needs from a browser: a PDF and a PNG of a self-contained HTML page. The Chromium
// implementation (chromium.ts) lives in the artifact compiler only; the web process never loads it.
export type PageFormat = "a4" | "slides";

export interface PageRenderer {
  pdf(html: string, format: PageFormat): Promise<Buffer>;
  png(html: string, format: PageFormat): Promise<Buffer>;
  /** Both from one page load (what a build needs); either may be skipped. */
  render(
    html: string,
    format: PageFormat,
    want: { pdf: boolean; png: boolean },
  ): Promise<{ pdf?: Buffer; png?: Buffer }>;
  close(): Promise<void>;
}

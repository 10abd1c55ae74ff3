// One shared headless Chromium per worker process (Playwright's playwright-core driving Debian's
// /usr/bin/chromium), launched on first use and relaunched if it dies. Pages are kept warm, one
// per concurrent render, each in a context with fixed settings — viewport 1280×800 (1280×720 for
// slides), device scale 1, UTC, en-US, light, reduced motion, no JavaScript, offline — so the same
// HTML gives the same pixels; PDF timestamps are then fixed by normalizePdf. Everything a page
// shows is inline (data: URIs), so nothing is fetched.
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { normalizePdf } from "./pdf";
import type { PageFormat, PageRenderer } from "./renderer";

export type ChromiumOptions = { executablePath: string; concurrency?: number; timeoutMs?: number };

const launchArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--font-render-hinting=none",
  "--disable-font-subpixel-positioning",
  "--disable-lcd-text",
  "--force-color-profile=srgb",
];

type Slot = { browser: Browser; format: PageFormat; context: BrowserContext; page: Page };

export class ChromiumRenderer implements PageRenderer {
  private browser: Promise<Browser> | null = null;
  private readonly idle: Slot[] = [];
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  private closed = false;

  constructor(private readonly options: ChromiumOptions) {}

  private launch(): Promise<Browser> {
    if (this.closed) return Promise.reject(new Error("the renderer is closed"));
    if (!this.browser) {
      const launching = chromium.launch({
        executablePath: this.options.executablePath,
        args: launchArgs,
        headless: true,
      });
      this.browser = launching;
      launching
        .then((browser) =>
          browser.on("disconnected", () => {
            if (this.browser === launching) this.browser = null;
          }),
        )
        .catch(() => {
          if (this.browser === launching) this.browser = null;
        });
    }
    return this.browser;
  }

  private async slot(format: PageFormat): Promise<Slot> {
    const browser = await this.launch();
    const index = this.idle.findIndex(
      (s) => s.format === format && s.browser === browser && !s.page.isClosed(),
    );
    if (index >= 0) return this.idle.splice(index, 1)[0]!;
    const context = await browser.newContext({
      viewport: { width: 1280, height: format === "slides" ? 720 : 800 },
      deviceScaleFactor: 1,
      timezoneId: "UTC",
      locale: "en-US",
      colorScheme: "light",
      reducedMotion: "reduce",
      javaScriptEnabled: false,
      offline: true,
    });
    const page = await context.newPage();
    page.setDefaultTimeout(this.options.timeoutMs ?? 30_000);
    return { browser, format, context, page };
  }

  private async withPage<T>(html: string, format: PageFormat, fn: (page: Page) => Promise<T>): Promise<T> {
    const limit = this.options.concurrency ?? 2;
    if (this.active >= limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    let slot: Slot | null = null;
    let healthy = false;
    try {
      slot = await this.slot(format);
      await slot.page.setContent(html, { waitUntil: "load" });
      const result = await fn(slot.page);
      healthy = true;
      return result;
    } finally {
      if (slot) {
        if (healthy && !this.closed) this.idle.push(slot);
        else await slot.context.close().catch(() => {});
      }
      this.active--;
      this.waiting.shift()?.();
    }
  }

  private async pdfOf(page: Page, format: PageFormat): Promise<Buffer> {
    const pdf = await page.pdf(
      format === "slides"
        ? { width: "1280px", height: "720px", printBackground: true, preferCSSPageSize: true }
        : { format: "A4", printBackground: true, preferCSSPageSize: true },
    );
    return normalizePdf(Buffer.from(pdf));
  }

  private async pngOf(page: Page): Promise<Buffer> {
    return Buffer.from(
      await page.screenshot({ fullPage: true, type: "png", animations: "disabled", caret: "hide" }),
    );
  }

  pdf(html: string, format: PageFormat): Promise<Buffer> {
    return this.withPage(html, format, (page) => this.pdfOf(page, format));
  }

  png(html: string, format: PageFormat): Promise<Buffer> {
    return this.withPage(html, format, (page) => this.pngOf(page));
  }

  render(
    html: string,
    format: PageFormat,
    want: { pdf: boolean; png: boolean },
  ): Promise<{ pdf?: Buffer; png?: Buffer }> {
    return this.withPage(html, format, async (page) => ({
      pdf: want.pdf ? await this.pdfOf(page, format) : undefined,
      png: want.png ? await this.pngOf(page) : undefined,
    }));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const slot of this.idle.splice(0)) await slot.context.close().catch(() => {});
    const browser = await this.browser?.catch(() => null);
    this.browser = null;
    await browser?.close().catch(() => {});
  }
}

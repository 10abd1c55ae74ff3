import { randomBytes } from "node:crypto";
import { defineConfig } from "@playwright/test";

// One password for the journey users of this run, shared with e2e/serve.ts through the
// environment (Playwright's workers inherit it). Random per run: nothing hard-coded.
process.env.E2E_PASSWORD ??= randomBytes(12).toString("base64url");
const port = Number(process.env.E2E_PORT ?? 3100);

export default defineConfig({
  testDir: "e2e",
  outputDir: "test-results/e2e",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"], ["json", { outputFile: "test-results/e2e.json" }]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  webServer: {
    // Builds (when needed) and starts web and every worker against a database of this run.
    command: "npx tsx e2e/serve.ts",
    url: `http://127.0.0.1:${port}/api/health`,
    timeout: 600_000,
    reuseExistingServer: false,
    stdout: "ignore",
    stderr: "pipe",
    env: { E2E_PORT: String(port), E2E_PASSWORD: process.env.E2E_PASSWORD },
    gracefulShutdown: { signal: "SIGTERM", timeout: 15_000 },
  },
});

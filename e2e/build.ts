// Builds the Next.js app for the browser journeys when the build is missing or older than the
// sources. e2e/serve.ts calls it before starting the server; `npm test` runs it as a script
// (`tsx e2e/build.ts`) alongside the fault suite, so the e2e stage finds the build ready.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

export function buildIfStale(env: NodeJS.ProcessEnv = process.env): void {
  const buildId = path.resolve(".next/BUILD_ID");
  const sourcesNewest = Math.max(
    ...["app", "components", "server", "generated"].map((d) => newestMtime(path.resolve(d))),
  );
  if (!fs.existsSync(buildId) || fs.statSync(buildId).mtimeMs < sourcesNewest) {
    execFileSync("npx", ["next", "build"], { env: { ...env, NODE_ENV: "production" }, stdio: "inherit" });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) buildIfStale();

#!/usr/bin/env node
/**
 * Entry point of `npm run up`, in plain JavaScript on purpose: on a fresh clone there is no
 * node_modules yet, so neither tsx nor anything else the TypeScript launcher needs exists.
 * This file installs the locked dependencies when they are missing, then loads scripts/up.ts
 * through tsx in this same process (no extra child, so signals reach up.ts directly).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

if (!existsSync(path.join(root, "node_modules", "tsx", "package.json"))) {
  console.log("up: node_modules is missing or incomplete; running npm ci");
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const install = spawnSync(npm, ["ci"], { cwd: root, stdio: "inherit" });
  if (install.status !== 0) {
    console.error(`up: npm ci failed (status ${install.status ?? install.signal}); fix that first`);
    process.exit(1);
  }
}

// Imported only now: before `npm ci` the package may not have existed.
const { tsImport } = await import("tsx/esm/api");
await tsImport("./up.ts", import.meta.url);

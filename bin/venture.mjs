#!/usr/bin/env node
// Entry of `npx venture …`: runs scripts/cli.ts through tsx from the project root.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const tsx = path.join(root, "node_modules", ".bin", "tsx");
// --tsconfig: the "@/" import paths resolve from the project, whichever folder the command runs in.
const args = ["--tsconfig", path.join(root, "tsconfig.json"), path.join(root, "scripts", "cli.ts")];
const result = spawnSync(tsx, [...args, ...process.argv.slice(2)], {
  stdio: "inherit",
  cwd: process.cwd(),
});
process.exit(result.status ?? 1);

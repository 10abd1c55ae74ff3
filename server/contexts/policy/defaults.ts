// The default policy texts (defaults/<scope>.cedar), read from disk so they stay plain Cedar that
// reviewers and editors can read. Read once per process.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { PolicyScope } from "@/server/shared/events/catalog/policy";

const cache = new Map<PolicyScope, string>();

/**
 * The folder next to this module under tsx, vitest and workers. A bundler (Next.js) may rewrite
 * import.meta.url, so the path from the repository root (Next.js runs with it as the working
 * directory) is the second place to look.
 */
function candidateFolders(): string[] {
  const folders = [path.join(process.cwd(), "server", "contexts", "policy", "defaults")];
  try {
    folders.unshift(path.join(path.dirname(fileURLToPath(import.meta.url)), "defaults"));
  } catch {
    // import.meta.url is not a file: URL in this runtime; the working-directory path remains.
  }
  return folders;
}

export function defaultPolicyText(scope: PolicyScope): string {
  const cached = cache.get(scope);
  if (cached !== undefined) return cached;
  for (const folder of candidateFolders()) {
    const file = path.join(folder, `${scope}.cedar`);
    if (fs.existsSync(file)) {
      const text = fs.readFileSync(file, "utf8");
      cache.set(scope, text);
      return text;
    }
  }
  throw new Error(`Default policy text for ${scope} not found in ${candidateFolders().join(" or ")}`);
}

// The difference between two IR versions (the UI's diff): a line diff of their pretty-printed
// canonical JSON (keys sorted, so only real changes show), computed with the classic longest
// common subsequence. Bounded: IRs are small, and the table is at most 4,000 × 4,000 lines.

import { canonicalJson } from "@/server/shared/canonical-json";
import type { Db } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import { loadArtifact } from "./artifact-views";

export type DiffLine = { op: "same" | "added" | "removed"; text: string };

export function prettyCanonical(value: unknown): string {
  return JSON.stringify(JSON.parse(canonicalJson(value)), null, 2);
}

export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split("\n");
  const b = after.split("\n");
  if (a.length * b.length > 16_000_000) {
    return [
      ...a.map((text) => ({ op: "removed" as const, text })),
      ...b.map((text) => ({ op: "added" as const, text })),
    ];
  }
  const lcs: Uint32Array[] = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) {
      out.push({ op: "same", text: a[i]! });
      i++;
      j++;
    } else if (lcs[i + 1]![j]! >= lcs[i]![j + 1]!) out.push({ op: "removed", text: a[i++]! });
    else out.push({ op: "added", text: b[j++]! });
  }
  while (i < a.length) out.push({ op: "removed", text: a[i++]! });
  while (j < b.length) out.push({ op: "added", text: b[j++]! });
  return out;
}

export async function diffVersions(options: {
  db: Db;
  ventureId: string;
  artifactId: string;
  from: number;
  to: number;
}): Promise<{
  from: { number: number; irHash: string };
  to: { number: number; irHash: string };
  lines: DiffLine[];
  changed: number;
}> {
  await loadArtifact(options.db, options.ventureId, options.artifactId);
  const rows = await options.db.$queryRawUnsafe<Array<{ number: number; ir: unknown; ir_hash: string }>>(
    "SELECT number, ir, ir_hash FROM artifact_versions WHERE artifact_id = $1 AND number = ANY($2::int[])",
    options.artifactId,
    [options.from, options.to],
  );
  const find = (n: number, field: string) => {
    const row = rows.find((r) => r.number === n);
    if (!row)
      throw new AppError("NOT_FOUND", `Artifact ${options.artifactId} has no version ${n}`, {
        fields: { [field]: "unknown version" },
      });
    return row;
  };
  const from = find(options.from, "from");
  const to = find(options.to, "to");
  const lines = lineDiff(prettyCanonical(from.ir), prettyCanonical(to.ir));
  return {
    from: { number: from.number, irHash: from.ir_hash },
    to: { number: to.number, irHash: to.ir_hash },
    lines,
    changed: lines.filter((l) => l.op !== "same").length,
  };
}

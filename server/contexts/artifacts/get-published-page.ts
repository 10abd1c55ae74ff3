import type { Db } from "@/server/shared/db";
import type { ManifestOutput } from "./manifest";
import { getBlob } from "./store";

/**
 * The HTML of the artifact published at /p/<venture slug>/<artifact slug>, or null. Public: the
 * page route answers without a signed-in user, like /api/health; only published builds are served.
 */
export async function getPublishedPage(options: {
  db: Db;
  ventureSlug: string;
  artifactSlug: string;
}): Promise<{ html: Buffer; sha256: string; buildHash: string; artifactId: string } | null> {
  const path = `/p/${options.ventureSlug}/${options.artifactSlug}`;
  const [row] = await options.db.$queryRawUnsafe<
    Array<{ id: string; outputs: ManifestOutput[]; build_hash: string }>
  >(
    `SELECT a.id, b.outputs, b.build_hash FROM artifacts a JOIN artifact_builds b ON b.id = a.published_build_id
      WHERE a.published_path = $1 AND b.status = 'succeeded'`,
    path,
  );
  const output = row?.outputs.find((o) => o.name === "index.html");
  if (!row || !output) return null;
  const blob = await getBlob(options.db, output.sha256);
  return blob
    ? { html: blob.bytes, sha256: output.sha256, buildHash: row.build_hash, artifactId: row.id }
    : null;
}

import type { Db } from "@/server/shared/db";
import { type ArtifactView, artifactColumns, toArtifactView } from "./artifact-views";

/** A venture's artifacts, most recently changed first. */
export async function listArtifacts(options: { db: Db; ventureId: string }): Promise<ArtifactView[]> {
  const rows = await options.db.$queryRawUnsafe<Parameters<typeof toArtifactView>[0][]>(
    `SELECT ${artifactColumns} FROM artifacts WHERE venture_id = $1 ORDER BY updated_at DESC, id DESC LIMIT 200`,
    options.ventureId,
  );
  return rows.map(toArtifactView);
}

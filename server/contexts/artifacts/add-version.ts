import { type Db, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { statusAfterNewVersion } from "./artifact-rules";
import { type ArtifactView, loadArtifact } from "./artifact-views";
import { parseIr } from "./ir";

/**
 * Adds an IR version (ARTIF-001). The kind cannot change; an IR identical to the current version
 * (same hash) is refused as a no-op conflict. The artifact becomes a draft again: an approval is
 * of one version's build. A published page stays served until the new version is published.
 */
export async function addArtifactVersion(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  ventureId: string;
  artifactId: string;
  ir: unknown;
}): Promise<ArtifactView> {
  const parsed = parseIr(options.ir);
  await withTransaction(options.db, async (tx) => {
    const artifact = await loadArtifact(tx, options.ventureId, options.artifactId, true);
    if (parsed.ir.kind !== artifact.kind) {
      throw new AppError("BAD_REQUEST", `Invalid artifact IR: ir.kind: this artifact is a ${artifact.kind}`, {
        fields: { "ir.kind": `must stay ${artifact.kind}` },
      });
    }
    const [current] = await tx.$queryRawUnsafe<Array<{ ir_hash: string }>>(
      "SELECT ir_hash FROM artifact_versions WHERE artifact_id = $1 AND number = $2",
      artifact.id,
      artifact.currentVersion,
    );
    if (current?.ir_hash === parsed.irHash) {
      throw new AppError(
        "CONFLICT",
        `The IR is identical to version ${artifact.currentVersion} (hash ${parsed.irHash})`,
        {
          fields: { ir: "unchanged" },
        },
      );
    }
    const number = artifact.currentVersion + 1;
    const [event] = await appendEvents(tx, options, [
      {
        type: "artifacts.version_added",
        stream: { type: "artifact", id: artifact.id },
        expectedVersion: artifact.streamVersion,
        portfolioId: artifact.portfolioId,
        payload: {
          artifactId: artifact.id,
          ventureId: artifact.ventureId,
          versionNumber: number,
          irHash: parsed.irHash,
          previousIrHash: current!.ir_hash,
          title: parsed.ir.title,
        },
      },
    ]);
    const at = new Date(event!.occurredAt);
    await tx.$executeRawUnsafe(
      `INSERT INTO artifact_versions (artifact_id, number, ir, ir_hash, title, created_by, created_at)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7)`,
      artifact.id,
      number,
      parsed.canonical,
      parsed.irHash,
      parsed.ir.title,
      options.actor.id,
      at,
    );
    await tx.$executeRawUnsafe(
      `UPDATE artifacts SET current_version = $2, title = $3, status = $4, author_id = $5, submitted_by = NULL,
              approved_by = NULL, review_build_id = NULL, updated_at = $6, version = version + 1
        WHERE id = $1`,
      artifact.id,
      number,
      parsed.ir.title,
      statusAfterNewVersion(),
      options.actor.id,
      at,
    );
  });
  return loadArtifact(options.db, options.ventureId, options.artifactId);
}

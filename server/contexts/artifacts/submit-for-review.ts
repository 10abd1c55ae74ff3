import { type Db, withTransaction } from "@/server/shared/db";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { type BuildFacts, decideSubmit } from "./artifact-rules";
import { type ArtifactView, loadArtifact } from "./artifact-views";

/** draft → in_review, with the build a reviewer looks at (the named one, else the latest of the version). */
export async function submitForReview(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  ventureId: string;
  artifactId: string;
  buildId?: string | null;
}): Promise<ArtifactView> {
  await withTransaction(options.db, async (tx) => {
    const artifact = await loadArtifact(tx, options.ventureId, options.artifactId, true);
    const [row] = await tx.$queryRawUnsafe<
      Array<{ id: string; status: string; version_number: number; artifact_id: string }>
    >(
      options.buildId
        ? "SELECT id, status, version_number, artifact_id FROM artifact_builds WHERE id = $1 AND artifact_id = $2"
        : `SELECT id, status, version_number, artifact_id FROM artifact_builds
            WHERE artifact_id = $2 AND version_number = $1::int AND status = 'succeeded' ORDER BY finished_at DESC LIMIT 1`,
      options.buildId ?? artifact.currentVersion,
      artifact.id,
    );
    const build: BuildFacts = row
      ? { id: row.id, status: row.status, versionNumber: row.version_number, artifactId: row.artifact_id }
      : null;
    const { buildId } = decideSubmit(artifact.state, build);
    const [event] = await appendEvents(tx, options, [
      {
        type: "artifacts.submitted_for_review",
        stream: { type: "artifact", id: artifact.id },
        expectedVersion: artifact.streamVersion,
        portfolioId: artifact.portfolioId,
        payload: {
          artifactId: artifact.id,
          ventureId: artifact.ventureId,
          versionNumber: artifact.currentVersion,
          buildId,
        },
      },
    ]);
    await tx.$executeRawUnsafe(
      `UPDATE artifacts SET status = 'in_review', submitted_by = $2, review_build_id = $3, updated_at = $4, version = version + 1
        WHERE id = $1`,
      artifact.id,
      options.actor.id,
      buildId,
      new Date(event!.occurredAt),
    );
  });
  return loadArtifact(options.db, options.ventureId, options.artifactId);
}

import { type Db, withTransaction } from "@/server/shared/db";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { decideRequestChanges } from "./artifact-rules";
import { type ArtifactView, loadArtifact } from "./artifact-views";

/** in_review → draft, with a note saying what to change. */
export async function requestChanges(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  ventureId: string;
  artifactId: string;
  note: string;
}): Promise<ArtifactView> {
  await withTransaction(options.db, async (tx) => {
    const artifact = await loadArtifact(tx, options.ventureId, options.artifactId, true);
    const { buildId, note } = decideRequestChanges(artifact.state, options.note);
    const [event] = await appendEvents(tx, options, [
      {
        type: "artifacts.changes_requested",
        stream: { type: "artifact", id: artifact.id },
        expectedVersion: artifact.streamVersion,
        portfolioId: artifact.portfolioId,
        payload: {
          artifactId: artifact.id,
          ventureId: artifact.ventureId,
          versionNumber: artifact.currentVersion,
          buildId,
          note,
        },
      },
    ]);
    await tx.$executeRawUnsafe(
      `UPDATE artifacts SET status = 'draft', submitted_by = NULL, review_build_id = NULL, updated_at = $2, version = version + 1
        WHERE id = $1`,
      artifact.id,
      new Date(event!.occurredAt),
    );
  });
  return loadArtifact(options.db, options.ventureId, options.artifactId);
}

import { type Db, withTransaction } from "@/server/shared/db";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { decideApprove } from "./artifact-rules";
import { type ArtifactView, loadArtifact } from "./artifact-views";

/** in_review → approved, by someone who neither wrote the version nor submitted it (separation of duties). */
export async function approveArtifact(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  ventureId: string;
  artifactId: string;
  note?: string | null;
}): Promise<ArtifactView> {
  await withTransaction(options.db, async (tx) => {
    const artifact = await loadArtifact(tx, options.ventureId, options.artifactId, true);
    const { buildId } = decideApprove(artifact.state, options.actor.id);
    const [event] = await appendEvents(tx, options, [
      {
        type: "artifacts.approved",
        stream: { type: "artifact", id: artifact.id },
        expectedVersion: artifact.streamVersion,
        portfolioId: artifact.portfolioId,
        payload: {
          artifactId: artifact.id,
          ventureId: artifact.ventureId,
          versionNumber: artifact.currentVersion,
          buildId,
          note: options.note?.trim() || null,
        },
      },
    ]);
    await tx.$executeRawUnsafe(
      "UPDATE artifacts SET status = 'approved', approved_by = $2, updated_at = $3, version = version + 1 WHERE id = $1",
      artifact.id,
      options.actor.id,
      new Date(event!.occurredAt),
    );
  });
  return loadArtifact(options.db, options.ventureId, options.artifactId);
}

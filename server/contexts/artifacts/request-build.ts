import { type Db, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { Role } from "@/server/shared/events/catalog";
import type { BuildMode } from "@/server/shared/events/catalog/artifacts";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { type BuildSummary, loadArtifact, loadBuild } from "./artifact-views";

/**
 * Queues a build of a version (the current one unless named) for the artifact compiler
 * (artifacts.build_requested, consumed over JetStream). A replay names a succeeded build of the
 * same version: the compiler then uses only that build's recorded provider responses and must
 * produce the same bytes and build hash (ARTIF-002).
 */
export async function requestBuild(options: {
  db: Db;
  actor: EventActor;
  /** The requester's role: paid provider calls are decided by the treasury policy for them. */
  role: Role;
  correlationId: string;
  ventureId: string;
  artifactId: string;
  versionNumber?: number | null;
  mode?: BuildMode;
  sourceBuildId?: string | null;
}): Promise<BuildSummary> {
  const mode = options.mode ?? "build";
  const buildId = newId("artifactBuild");
  await withTransaction(options.db, async (tx) => {
    const artifact = await loadArtifact(tx, options.ventureId, options.artifactId);
    let versionNumber = options.versionNumber ?? artifact.currentVersion;
    let sourceBuildId: string | null = null;
    if (mode === "replay") {
      if (!options.sourceBuildId) {
        throw new AppError("BAD_REQUEST", "A replay names the build whose record it replays", {
          fields: { sourceBuildId: "required for a replay" },
        });
      }
      const source = await loadBuild(tx, artifact.id, options.sourceBuildId);
      if (source.status !== "succeeded" || source.mode !== "build") {
        throw new AppError(
          "UNPROCESSABLE",
          `Build ${source.id} is a ${source.status} ${source.mode}: only a succeeded build is replayed`,
          {
            fields: { sourceBuildId: "not a succeeded build" },
          },
        );
      }
      if (options.versionNumber != null && options.versionNumber !== source.versionNumber) {
        throw new AppError(
          "BAD_REQUEST",
          `Build ${source.id} built version ${source.versionNumber}, not ${options.versionNumber}`,
          {
            fields: { versionNumber: `must be ${source.versionNumber} for this replay` },
          },
        );
      }
      versionNumber = source.versionNumber;
      sourceBuildId = source.id;
    } else if (options.sourceBuildId) {
      throw new AppError("BAD_REQUEST", "Only a replay names a source build", {
        fields: { sourceBuildId: "only for mode replay" },
      });
    }
    const [version] = await tx.$queryRawUnsafe<Array<{ ir_hash: string }>>(
      "SELECT ir_hash FROM artifact_versions WHERE artifact_id = $1 AND number = $2",
      artifact.id,
      versionNumber,
    );
    if (!version) {
      throw new AppError("BAD_REQUEST", `Artifact ${artifact.id} has no version ${versionNumber}`, {
        fields: { versionNumber: `1 to ${artifact.currentVersion}` },
      });
    }
    const [event] = await appendEvents(tx, options, [
      {
        type: "artifacts.build_requested",
        stream: { type: "artifact_build", id: buildId },
        expectedVersion: 0,
        portfolioId: artifact.portfolioId,
        payload: {
          artifactId: artifact.id,
          ventureId: artifact.ventureId,
          buildId,
          versionNumber,
          irHash: version.ir_hash,
          mode,
          sourceBuildId,
        },
      },
    ]);
    await tx.$executeRawUnsafe(
      `INSERT INTO artifact_builds (id, artifact_id, portfolio_id, venture_id, version_number, ir_hash, mode, source_build_id,
                                    status, requested_by, requested_role, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9, $10, $11)`,
      buildId,
      artifact.id,
      artifact.portfolioId,
      artifact.ventureId,
      versionNumber,
      version.ir_hash,
      mode,
      sourceBuildId,
      options.actor.id,
      options.role,
      new Date(event!.occurredAt),
    );
  });
  return loadBuild(options.db, options.artifactId, buildId);
}

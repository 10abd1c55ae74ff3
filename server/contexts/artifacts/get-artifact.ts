import type { Db } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import { type ArtifactView, type BuildSummary, listBuilds, loadArtifact } from "./artifact-views";
import { type ArtifactIr, artifactIrSchema } from "./ir";

export type ArtifactVersionView = {
  number: number;
  irHash: string;
  title: string;
  createdBy: string;
  createdAt: Date;
};

export type ArtifactDetail = ArtifactView & {
  versions: ArtifactVersionView[];
  builds: BuildSummary[];
  /** The IR of the requested version (the current one by default). */
  ir: ArtifactIr;
  irVersion: number;
};

export async function getArtifact(options: {
  db: Db;
  ventureId: string;
  artifactId: string;
  versionNumber?: number | null;
}): Promise<ArtifactDetail> {
  const {
    streamVersion: _v,
    state: _s,
    ...artifact
  } = await loadArtifact(options.db, options.ventureId, options.artifactId);
  const versions = await options.db.$queryRawUnsafe<
    Array<{ number: number; ir_hash: string; title: string; created_by: string; created_at: Date }>
  >(
    "SELECT number, ir_hash, title, created_by, created_at FROM artifact_versions WHERE artifact_id = $1 ORDER BY number DESC",
    artifact.id,
  );
  const irVersion = options.versionNumber ?? artifact.currentVersion;
  const [row] = await options.db.$queryRawUnsafe<Array<{ ir: unknown }>>(
    "SELECT ir FROM artifact_versions WHERE artifact_id = $1 AND number = $2",
    artifact.id,
    irVersion,
  );
  if (!row) {
    throw new AppError("NOT_FOUND", `Artifact ${artifact.id} has no version ${irVersion}`, {
      fields: { versionNumber: "unknown" },
    });
  }
  return {
    ...artifact,
    versions: versions.map((v) => ({
      number: v.number,
      irHash: v.ir_hash,
      title: v.title,
      createdBy: v.created_by,
      createdAt: v.created_at,
    })),
    builds: await listBuilds(options.db, artifact.id),
    ir: artifactIrSchema.parse(row.ir),
    irVersion,
  };
}

// Reading artifacts, versions and builds (raw SQL: one round trip each), and the row lock the
// commands take. The views are what the tRPC outputs declare.
import type { Db, Tx } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { ArtifactKind, ArtifactStatus, BuildMode } from "@/server/shared/events/catalog/artifacts";
import type { ArtifactState } from "./artifact-rules";

export type ArtifactView = {
  id: string;
  portfolioId: string;
  ventureId: string;
  kind: ArtifactKind;
  title: string;
  slug: string;
  status: ArtifactStatus;
  currentVersion: number;
  authorId: string;
  submittedBy: string | null;
  approvedBy: string | null;
  reviewBuildId: string | null;
  latestBuildId: string | null;
  publishedBuildId: string | null;
  publishedVersion: number | null;
  publishedPath: string | null;
  publishedAt: Date | null;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
};

export type BuildSummary = {
  id: string;
  artifactId: string;
  versionNumber: number;
  irHash: string;
  mode: BuildMode;
  sourceBuildId: string | null;
  status: "queued" | "running" | "succeeded" | "failed";
  progress: number;
  step: string;
  buildHash: string | null;
  keyId: string | null;
  bundleSha256: string | null;
  claimKinds: string[];
  nodesTotal: number;
  nodesCached: number;
  error: string | null;
  failedNode: string | null;
  requestedBy: string;
  createdAt: Date;
  finishedAt: Date | null;
  durationMs: number | null;
};

type ArtifactRow = {
  id: string;
  portfolio_id: string;
  venture_id: string;
  kind: ArtifactKind;
  title: string;
  slug: string;
  status: ArtifactStatus;
  current_version: number;
  author_id: string;
  submitted_by: string | null;
  approved_by: string | null;
  review_build_id: string | null;
  latest_build_id: string | null;
  published_build_id: string | null;
  published_version: number | null;
  published_path: string | null;
  published_at: Date | null;
  created_by: string;
  created_at: Date;
  updated_at: Date;
  version: number;
};

export const artifactColumns = `id, portfolio_id, venture_id, kind, title, slug, status, current_version, author_id, submitted_by,
  approved_by, review_build_id, latest_build_id, published_build_id, published_version, published_path, published_at,
  created_by, created_at, updated_at, version`;

export function toArtifactView(row: ArtifactRow): ArtifactView {
  return {
    id: row.id,
    portfolioId: row.portfolio_id,
    ventureId: row.venture_id,
    kind: row.kind,
    title: row.title,
    slug: row.slug,
    status: row.status,
    currentVersion: row.current_version,
    authorId: row.author_id,
    submittedBy: row.submitted_by,
    approvedBy: row.approved_by,
    reviewBuildId: row.review_build_id,
    latestBuildId: row.latest_build_id,
    publishedBuildId: row.published_build_id,
    publishedVersion: row.published_version,
    publishedPath: row.published_path,
    publishedAt: row.published_at,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The artifact of a venture, locked FOR UPDATE when `lock`; NOT_FOUND otherwise. */
export async function loadArtifact(
  db: Db | Tx,
  ventureId: string,
  artifactId: string,
  lock = false,
): Promise<ArtifactView & { streamVersion: number; state: ArtifactState }> {
  const [row] = await db.$queryRawUnsafe<ArtifactRow[]>(
    `SELECT ${artifactColumns} FROM artifacts WHERE id = $1 AND venture_id = $2${lock ? " FOR UPDATE" : ""}`,
    artifactId,
    ventureId,
  );
  if (!row)
    throw new AppError("NOT_FOUND", `Artifact ${artifactId} not found in venture ${ventureId}`, {
      fields: { artifactId: "unknown" },
    });
  const view = toArtifactView(row);
  return {
    ...view,
    streamVersion: row.version,
    state: {
      id: view.id,
      status: view.status,
      currentVersion: view.currentVersion,
      authorId: view.authorId,
      submittedBy: view.submittedBy,
      reviewBuildId: view.reviewBuildId,
      publishedBuildId: view.publishedBuildId,
    },
  };
}

export const buildColumns = `id, artifact_id, version_number, ir_hash, mode, source_build_id, status, progress, step, build_hash,
  key_id, bundle_sha256, claim_kinds, nodes_total, nodes_cached, error, failed_node, requested_by, created_at, finished_at,
  duration_ms`;

type BuildRow = {
  id: string;
  artifact_id: string;
  version_number: number;
  ir_hash: string;
  mode: BuildMode;
  source_build_id: string | null;
  status: BuildSummary["status"];
  progress: number;
  step: string;
  build_hash: string | null;
  key_id: string | null;
  bundle_sha256: string | null;
  claim_kinds: string[] | null;
  nodes_total: number;
  nodes_cached: number;
  error: string | null;
  failed_node: string | null;
  requested_by: string;
  created_at: Date;
  finished_at: Date | null;
  duration_ms: number | null;
};

export function toBuildSummary(row: BuildRow): BuildSummary {
  return {
    id: row.id,
    artifactId: row.artifact_id,
    versionNumber: row.version_number,
    irHash: row.ir_hash,
    mode: row.mode,
    sourceBuildId: row.source_build_id,
    status: row.status,
    progress: row.progress,
    step: row.step,
    buildHash: row.build_hash,
    keyId: row.key_id,
    bundleSha256: row.bundle_sha256,
    claimKinds: row.claim_kinds ?? [],
    nodesTotal: row.nodes_total,
    nodesCached: row.nodes_cached,
    error: row.error,
    failedNode: row.failed_node,
    requestedBy: row.requested_by,
    createdAt: row.created_at,
    finishedAt: row.finished_at,
    durationMs: row.duration_ms,
  };
}

export async function loadBuild(db: Db | Tx, artifactId: string, buildId: string): Promise<BuildSummary> {
  const [row] = await db.$queryRawUnsafe<BuildRow[]>(
    `SELECT ${buildColumns} FROM artifact_builds WHERE id = $1 AND artifact_id = $2`,
    buildId,
    artifactId,
  );
  if (!row)
    throw new AppError("NOT_FOUND", `Build ${buildId} not found for artifact ${artifactId}`, {
      fields: { buildId: "unknown" },
    });
  return toBuildSummary(row);
}

export async function listBuilds(db: Db | Tx, artifactId: string, limit = 20): Promise<BuildSummary[]> {
  const rows = await db.$queryRawUnsafe<BuildRow[]>(
    `SELECT ${buildColumns} FROM artifact_builds WHERE artifact_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`,
    artifactId,
    limit,
  );
  return rows.map(toBuildSummary);
}

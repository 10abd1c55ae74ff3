import { createPublicKey } from "node:crypto";
import { listAuditKeys, verifyBytes } from "@/server/contexts/compliance/api";
import type { Db } from "@/server/shared/db";
import { type BuildSummary, loadArtifact, loadBuild } from "./artifact-views";
import type { Claim } from "./claims";
import type { ArtifactManifest, ManifestOutput } from "./manifest";

export type BuildNodeView = {
  nodeId: string;
  modality: string;
  cached: boolean;
  provider: string | null;
  model: string | null;
  prompt: string;
  requestHash: string | null;
  responseHash: string | null;
  attempts: Array<{
    provider: string;
    model: string;
    outcome: string;
    error: string | null;
    durationMs: number;
  }>;
  output: Record<string, unknown>;
  durationMs: number;
};

export type BuildDetail = BuildSummary & {
  nodes: BuildNodeView[];
  log: Array<{ seq: number; at: Date; level: string; message: string }>;
  outputs: ManifestOutput[];
  claims: Claim[];
  manifest: ArtifactManifest | null;
  manifestSha256: string | null;
  /** The manifest's ed25519 signature checked against the published audit key it names. */
  signature: { keyId: string; valid: boolean; problem: string | null } | null;
};

/** A build with its nodes (providers, attempts, cache), log, outputs and signed manifest. */
export async function getBuild(options: {
  db: Db;
  ventureId: string;
  artifactId: string;
  buildId: string;
}): Promise<BuildDetail> {
  const { db } = options;
  await loadArtifact(db, options.ventureId, options.artifactId);
  const build = await loadBuild(db, options.artifactId, options.buildId);
  const [extra] = await db.$queryRawUnsafe<
    Array<{
      outputs: ManifestOutput[] | null;
      claims: Claim[] | null;
      manifest: string | null;
      manifest_sha256: string | null;
      signature: string | null;
      key_id: string | null;
    }>
  >(
    "SELECT outputs, claims, manifest, manifest_sha256, signature, key_id FROM artifact_builds WHERE id = $1",
    build.id,
  );
  const nodes = await db.$queryRawUnsafe<
    Array<{
      node_id: string;
      modality: string;
      cached: boolean;
      provider: string | null;
      model: string | null;
      prompt: string;
      request_hash: string | null;
      response_hash: string | null;
      attempts: BuildNodeView["attempts"];
      output: Record<string, unknown>;
      duration_ms: number;
    }>
  >(
    `SELECT node_id, modality, cached, provider, model, prompt, request_hash, response_hash, attempts, output, duration_ms
       FROM artifact_build_nodes WHERE build_id = $1 ORDER BY seq`,
    build.id,
  );
  const log = await db.$queryRawUnsafe<Array<{ seq: number; at: Date; level: string; message: string }>>(
    "SELECT seq, at, level, message FROM artifact_build_log WHERE build_id = $1 ORDER BY seq LIMIT 500",
    build.id,
  );
  let signature: BuildDetail["signature"] = null;
  if (extra?.manifest && extra.signature && extra.key_id) {
    const key = (await listAuditKeys({ db })).find((k) => k.keyId === extra.key_id);
    const valid = key
      ? verifyBytes(createPublicKey(key.publicKeyPem), Buffer.from(extra.manifest, "utf8"), extra.signature)
      : false;
    signature = {
      keyId: extra.key_id,
      valid,
      problem: key
        ? valid
          ? null
          : "the signature does not match the manifest"
        : `key ${extra.key_id} is not published`,
    };
  }
  return {
    ...build,
    nodes: nodes.map((n) => ({
      nodeId: n.node_id,
      modality: n.modality,
      cached: n.cached,
      provider: n.provider,
      model: n.model,
      prompt: n.prompt,
      requestHash: n.request_hash,
      responseHash: n.response_hash,
      attempts: n.attempts,
      output: n.output,
      durationMs: n.duration_ms,
    })),
    log,
    outputs: extra?.outputs ?? [],
    claims: extra?.claims ?? [],
    manifest: extra?.manifest ? (JSON.parse(extra.manifest) as ArtifactManifest) : null,
    manifestSha256: extra?.manifest_sha256 ?? null,
    signature,
  };
}

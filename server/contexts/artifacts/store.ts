// Content-addressed storage in PostgreSQL (ARTIF-002, ARTIF-006): blobs by the SHA-256 of their
// bytes, provider responses by the hash of their request, node outputs by node hash. Rows are
// immutable (triggers refuse changes); writing what is already there is a no-op, so concurrent
// builds of the same content never conflict.

import { canonicalJson, type JsonValue } from "@/server/shared/canonical-json";
import type { Db, Tx } from "@/server/shared/db";
import type { ArtifactModality } from "@/server/shared/events/catalog/artifacts";
import { sha256Hex } from "./ir";
import type { Storyboard } from "./providers/types";

/** A response as stored: images by the hash of their blob, never inline. */
export type StoredResponse =
  | { modality: "text"; text: string; usage: StoredUsage }
  | {
      modality: "image";
      blobSha256: string;
      contentType: string;
      width: number;
      height: number;
      usage: StoredUsage;
    }
  | { modality: "video"; storyboard: Storyboard; usage: StoredUsage };

export type StoredUsage = { inputTokens: number; outputTokens: number; images: number };

/** What a node resolved to: the response and who answered, as recorded in the manifest. */
export type NodeResolution = {
  provider: string;
  model: string;
  requestHash: string;
  responseHash: string;
  response: StoredResponse;
};

export function responseHashOf(response: StoredResponse): string {
  return sha256Hex(canonicalJson(response));
}

export async function putBlob(db: Db | Tx, bytes: Buffer, contentType: string): Promise<string> {
  const sha256 = sha256Hex(bytes);
  await db.$executeRawUnsafe(
    `INSERT INTO artifact_blobs (sha256, content_type, bytes, size, created_at)
     VALUES ($1, $2, $3, $4, now()) ON CONFLICT (sha256) DO NOTHING`,
    sha256,
    contentType,
    bytes,
    bytes.length,
  );
  return sha256;
}

export async function getBlob(
  db: Db | Tx,
  sha256: string,
): Promise<{ bytes: Buffer; contentType: string } | null> {
  const [row] = await db.$queryRawUnsafe<Array<{ bytes: Buffer; content_type: string }>>(
    "SELECT bytes, content_type FROM artifact_blobs WHERE sha256 = $1",
    sha256,
  );
  return row ? { bytes: Buffer.from(row.bytes), contentType: row.content_type } : null;
}

export async function getBlobs(db: Db | Tx, hashes: string[]): Promise<Map<string, Buffer>> {
  if (hashes.length === 0) return new Map();
  const rows = await db.$queryRawUnsafe<Array<{ sha256: string; bytes: Buffer }>>(
    "SELECT sha256, bytes FROM artifact_blobs WHERE sha256 = ANY($1::text[])",
    [...new Set(hashes)],
  );
  return new Map(rows.map((r) => [r.sha256, Buffer.from(r.bytes)]));
}

export async function putResponse(
  db: Db | Tx,
  entry: {
    requestHash: string;
    provider: string;
    model: string;
    modality: ArtifactModality;
    request: unknown;
    response: StoredResponse;
  },
): Promise<string> {
  const responseHash = responseHashOf(entry.response);
  await db.$executeRawUnsafe(
    `INSERT INTO artifact_provider_responses (request_hash, provider, model, modality, request, response, response_hash, created_at)
     VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, now()) ON CONFLICT (request_hash) DO NOTHING`,
    entry.requestHash,
    entry.provider,
    entry.model,
    entry.modality,
    canonicalJson(entry.request),
    canonicalJson(entry.response),
    responseHash,
  );
  return responseHash;
}

export async function getResponse(
  db: Db | Tx,
  requestHash: string,
): Promise<{ response: StoredResponse; responseHash: string; provider: string; model: string } | null> {
  const [row] = await db.$queryRawUnsafe<
    Array<{ response: StoredResponse; response_hash: string; provider: string; model: string }>
  >(
    "SELECT response, response_hash, provider, model FROM artifact_provider_responses WHERE request_hash = $1",
    requestHash,
  );
  if (!row) return null;
  // JSONB does not keep key order; the hash is over canonical JSON, so check it again on read.
  if (responseHashOf(row.response) !== row.response_hash) {
    throw new Error(`recorded response ${requestHash} no longer matches its hash ${row.response_hash}`);
  }
  return {
    response: row.response,
    responseHash: row.response_hash,
    provider: row.provider,
    model: row.model,
  };
}

export async function getCachedNodes(
  db: Db | Tx,
  nodeHashes: string[],
): Promise<Map<string, NodeResolution>> {
  if (nodeHashes.length === 0) return new Map();
  const rows = await db.$queryRawUnsafe<
    Array<{
      node_hash: string;
      provider: string;
      model: string;
      request_hash: string;
      response_hash: string;
      output: StoredResponse;
    }>
  >(
    `SELECT node_hash, provider, model, request_hash, response_hash, output FROM artifact_node_cache
      WHERE node_hash = ANY($1::text[])`,
    nodeHashes,
  );
  const out = new Map<string, NodeResolution>();
  for (const row of rows) {
    if (responseHashOf(row.output) !== row.response_hash) continue; // a damaged entry is a miss
    out.set(row.node_hash, {
      provider: row.provider,
      model: row.model,
      requestHash: row.request_hash,
      responseHash: row.response_hash,
      response: row.output,
    });
  }
  return out;
}

export async function putCachedNode(
  db: Db | Tx,
  nodeHash: string,
  modality: string,
  resolution: NodeResolution,
): Promise<void> {
  await db.$executeRawUnsafe(
    `INSERT INTO artifact_node_cache (node_hash, modality, provider, model, request_hash, response_hash, output, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, now())
     ON CONFLICT (node_hash) DO UPDATE SET provider = EXCLUDED.provider, model = EXCLUDED.model,
       request_hash = EXCLUDED.request_hash, response_hash = EXCLUDED.response_hash, output = EXCLUDED.output`,
    nodeHash,
    modality,
    resolution.provider,
    resolution.model,
    resolution.requestHash,
    resolution.responseHash,
    canonicalJson(resolution.response as unknown as JsonValue),
  );
}

/** A derived output (a PDF or PNG of some HTML, a bundle) cached by the hash of what made it. */
export type CachedBlob = { sha256: string; bytes: number; contentType: string };

export async function getCachedBlobs(db: Db | Tx, keys: string[]): Promise<Map<string, CachedBlob>> {
  const rows = await db.$queryRawUnsafe<Array<{ node_hash: string; output: CachedBlob }>>(
    `SELECT c.node_hash, c.output FROM artifact_node_cache c
      WHERE c.node_hash = ANY($1::text[]) AND EXISTS (SELECT 1 FROM artifact_blobs b WHERE b.sha256 = c.response_hash)`,
    keys,
  );
  return new Map(rows.map((r) => [r.node_hash, r.output]));
}

export async function putCachedBlob(db: Db | Tx, key: string, kind: string, blob: CachedBlob): Promise<void> {
  await db.$executeRawUnsafe(
    `INSERT INTO artifact_node_cache (node_hash, modality, provider, model, request_hash, response_hash, output, created_at)
     VALUES ($1, $2, 'venture', 'render-1', $1, $3, $4::jsonb, now()) ON CONFLICT (node_hash) DO NOTHING`,
    key,
    kind,
    blob.sha256,
    JSON.stringify(blob),
  );
}

/** Stores the files whose hash is not stored yet (a cached rebuild sends no bytes again). */
export async function putMissingBlobs(
  db: Db | Tx,
  files: Array<{ sha256: string; contentType: string; data?: Buffer }>,
): Promise<void> {
  const rows = await db.$queryRawUnsafe<Array<{ sha256: string }>>(
    "SELECT sha256 FROM artifact_blobs WHERE sha256 = ANY($1::text[])",
    files.map((f) => f.sha256),
  );
  const present = new Set(rows.map((r) => r.sha256));
  for (const file of files) {
    if (present.has(file.sha256)) continue;
    if (!file.data) throw new Error(`output ${file.sha256} is neither stored nor at hand`);
    await putBlob(db, file.data, file.contentType);
  }
}

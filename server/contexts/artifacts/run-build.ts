// Executing a build (ARTIF-002…006), in the artifact compiler after the build was claimed:
// IR → nodes → provider calls (or the node cache, or — in a replay — only recorded responses) →
// render (HTML, Markdown; PDF and PNG through the browser) → export (a zip of everything) →
// provenance (a manifest signed with the audit key). Progress and a log are written as it goes;
// the outcome is one transaction: the build row, the artifact's latest build and
// artifacts.build_succeeded (or build_failed).
import type { SpendMeter } from "@/server/contexts/agents/api";
import type { AuditPublicKey } from "@/server/contexts/compliance/api";
import type { PolicyPrincipal } from "@/server/contexts/policy/api";
import { type Clock, systemClock } from "@/server/shared/clock";
import { type Db, type Tx, withTransaction } from "@/server/shared/db";
import { invariant } from "@/server/shared/errors";
import type { Role } from "@/server/shared/events/catalog";
import type { ArtifactModality, BuildMode } from "@/server/shared/events/catalog/artifacts";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents, type CommandContext } from "@/server/shared/events/store";
import type { Logger } from "@/server/shared/logger";
import { claimKindsOf, detectClaims } from "./claims";
import { type ArtifactIr, artifactIrSchema, hashIr, sha256Hex } from "./ir";
import {
  type ArtifactManifest,
  buildHashOf,
  type ManifestNode,
  type ManifestOutput,
  manifestBytes,
  manifestFormat,
} from "./manifest";
import { meteredProviderCall } from "./metering";
import { nodeHash, type PlannedNode, planNodes, requestHash } from "./nodes";
import { type Attempt, NodeFailed, type ProviderRouter } from "./providers/router";
import type { ProviderResult } from "./providers/types";
import {
  assetName,
  type Resolved,
  type ResolvedImage,
  renderHtml,
  renderMarkdown,
  textsOf,
} from "./render/html";
import type { PageRenderer } from "./render/renderer";
import { writeZip } from "./render/zip";
import {
  type CachedBlob,
  getBlobs,
  getCachedBlobs,
  getCachedNodes,
  getResponse,
  type NodeResolution,
  putBlob,
  putCachedBlob,
  putCachedNode,
  putMissingBlobs,
  putResponse,
  type StoredResponse,
} from "./store";

export type ManifestSigner = { keyId: string; publicKey: AuditPublicKey; sign(bytes: Buffer): string };

export type CompilerDeps = {
  db: Db;
  router: ProviderRouter;
  renderer: PageRenderer;
  signer: () => ManifestSigner;
  log: Logger;
  meter?: SpendMeter;
  clock?: Clock;
  worker?: string;
  /** Nodes resolved at once within one build. */
  nodeConcurrency?: number;
};

type BuildRow = {
  id: string;
  artifact_id: string;
  portfolio_id: string;
  venture_id: string;
  version_number: number;
  ir_hash: string;
  mode: BuildMode;
  source_build_id: string | null;
  status: string;
  requested_by: string;
  requested_role: string;
  created_at: Date;
};

/** queued → running, in the consumer's transaction: a build message delivered twice runs once. */
export async function claimBuild(tx: Tx, buildId: string, now: Date): Promise<boolean> {
  const claimed = await tx.$executeRawUnsafe(
    `UPDATE artifact_builds SET status = 'running', started_at = $2, heartbeat_at = $2, step = 'starting', progress = 1
      WHERE id = $1 AND status = 'queued'`,
    buildId,
    now,
  );
  return claimed === 1;
}

class BuildProgress {
  private seq = 0;
  constructor(
    private readonly db: Db,
    private readonly buildId: string,
  ) {}
  async log(message: string, level: "info" | "warn" | "error" = "info") {
    this.seq += 1;
    await this.db.$executeRawUnsafe(
      "INSERT INTO artifact_build_log (build_id, seq, at, level, message) VALUES ($1, $2, now(), $3, $4)",
      this.buildId,
      this.seq,
      level,
      message.slice(0, 2_000),
    );
  }
  async step(step: string, progress: number, message?: string) {
    await this.db.$executeRawUnsafe(
      "UPDATE artifact_builds SET step = $2, progress = $3, heartbeat_at = now() WHERE id = $1 AND status = 'running'",
      this.buildId,
      step,
      Math.max(0, Math.min(100, Math.round(progress))),
    );
    if (message) await this.log(message);
  }
}

async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown = null;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && failure === null) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (error) {
        failure ??= error;
      }
    }
  });
  await Promise.all(workers);
  if (failure !== null) throw failure;
}

function principalOf(row: BuildRow): PolicyPrincipal {
  return {
    kind: "user",
    userId: row.requested_by,
    portfolioId: row.portfolio_id,
    portfolioRole: row.requested_role as Role,
  };
}

function describeNode(node: PlannedNode, resolution: NodeResolution, how: string): string {
  return `${node.modality} node ${node.id}: ${how} ${resolution.provider}:${resolution.model}`;
}

/** Turns a provider's answer into its stored form (images as blobs) and records it by request hash. */
async function recordResponse(
  db: Db,
  entry: {
    provider: { name: string; model: string };
    modality: ArtifactModality;
    request: unknown;
    requestHash: string;
    result: ProviderResult;
  },
): Promise<{ response: StoredResponse; responseHash: string }> {
  const { output, usage } = entry.result;
  let response: StoredResponse;
  if (output.modality === "image") {
    const blobSha256 = await putBlob(db, output.bytes, output.contentType);
    response = {
      modality: "image",
      blobSha256,
      contentType: output.contentType,
      width: output.width,
      height: output.height,
      usage,
    };
  } else if (output.modality === "text") response = { modality: "text", text: output.text, usage };
  else response = { modality: "video", storyboard: output.storyboard, usage };
  const responseHash = await putResponse(db, {
    requestHash: entry.requestHash,
    provider: entry.provider.name,
    model: entry.provider.model,
    modality: entry.modality,
    request: entry.request,
    response,
  });
  return { response, responseHash };
}

type NodeRow = {
  build_id: string;
  node_id: string;
  seq: number;
  modality: string;
  node_hash: string;
  cached: boolean;
  provider: string;
  model: string;
  prompt: string;
  request_hash: string;
  response_hash: string;
  attempts: Attempt[];
  output: Record<string, unknown>;
  duration_ms: number;
};

async function insertNodeRows(db: Db, rows: NodeRow[]): Promise<void> {
  await db.$executeRawUnsafe(
    `INSERT INTO artifact_build_nodes (build_id, node_id, seq, modality, node_hash, cached, provider, model, prompt,
                                       request_hash, response_hash, attempts, output, duration_ms)
     SELECT build_id, node_id, seq, modality, node_hash, cached, provider, model, prompt, request_hash, response_hash,
            attempts, output, duration_ms
       FROM jsonb_to_recordset($1::jsonb) AS x(build_id text, node_id text, seq int, modality text, node_hash text,
            cached boolean, provider text, model text, prompt text, request_hash text, response_hash text,
            attempts jsonb, output jsonb, duration_ms int)`,
    JSON.stringify(rows),
  );
}

export type BuildOutcome = { status: "succeeded"; buildHash: string } | { status: "failed"; error: string };

export async function executeBuild(
  deps: CompilerDeps,
  buildId: string,
  trace: { correlationId: string; causationId: string | null; signal?: AbortSignal },
): Promise<BuildOutcome> {
  const { db } = deps;
  const clock = deps.clock ?? systemClock;
  const actor: EventActor = { type: "worker", id: deps.worker ?? "artifact-compiler" };
  const ctx: CommandContext = {
    actor,
    correlationId: trace.correlationId,
    causationId: trace.causationId,
    clock,
  };
  const signal = trace.signal ?? new AbortController().signal;
  const started = performance.now();
  const progress = new BuildProgress(db, buildId);
  // A provider call or a render can take longer than the lost-build sweep allows between steps.
  const heartbeat = setInterval(() => {
    db.$executeRawUnsafe(
      "UPDATE artifact_builds SET heartbeat_at = now() WHERE id = $1 AND status = 'running'",
      buildId,
    ).catch(() => {});
  }, 5_000);
  heartbeat.unref();
  try {
    return await runBuild();
  } finally {
    clearInterval(heartbeat);
  }

  async function runBuild(): Promise<BuildOutcome> {
    const [row] = await db.$queryRawUnsafe<BuildRow[]>(
      `SELECT id, artifact_id, portfolio_id, venture_id, version_number, ir_hash, mode, source_build_id, status,
            requested_by, requested_role, created_at FROM artifact_builds WHERE id = $1`,
      buildId,
    );
    invariant(row, `build ${buildId} exists`);
    let failedNode: string | null = null;
    try {
      const [meta] = await db.$queryRawUnsafe<
        Array<{ kind: string; slug: string; title: string; ir: unknown; ir_hash: string; currency: string }>
      >(
        `SELECT a.kind, a.slug, v.title, v.ir, v.ir_hash, coalesce(ve.currency, 'USD') AS currency
         FROM artifacts a JOIN artifact_versions v ON v.artifact_id = a.id AND v.number = $2
         LEFT JOIN ventures ve ON ve.id = a.venture_id
        WHERE a.id = $1`,
        row.artifact_id,
        row.version_number,
      );
      invariant(meta, `version ${row.version_number} of artifact ${row.artifact_id} exists`);
      const ir: ArtifactIr = artifactIrSchema.parse(meta.ir);
      const { canonical, irHash } = hashIr(ir);
      invariant(
        irHash === meta.ir_hash && irHash === row.ir_hash,
        `the stored IR of ${row.artifact_id} v${row.version_number} hashes to its recorded hash`,
      );
      await progress.step(
        "planning",
        3,
        `${row.mode === "replay" ? "Replaying" : "Building"} ${meta.kind} v${row.version_number} (IR ${irHash.slice(0, 12)})`,
      );

      const nodes = planNodes(ir);
      const hashes = new Map(nodes.map((n) => [n.id, nodeHash(n, deps.router.chainOf(n.modality))]));
      await progress.log(`${nodes.length} node(s) to resolve`);

      let source: Map<string, { provider: string; model: string; request_hash: string }> | null = null;
      if (row.mode === "replay") {
        invariant(row.source_build_id, "a replay names its source build");
        const sourceNodes = await db.$queryRawUnsafe<
          Array<{ node_id: string; provider: string; model: string; request_hash: string }>
        >(
          "SELECT node_id, provider, model, request_hash FROM artifact_build_nodes WHERE build_id = $1",
          row.source_build_id,
        );
        source = new Map(sourceNodes.map((n) => [n.node_id, n]));
      }
      const cached =
        row.mode === "build"
          ? await getCachedNodes(db, [...hashes.values()])
          : new Map<string, NodeResolution>();
      const resolutions = new Map<string, NodeResolution>();
      let cachedCount = 0;
      const pendingRows: NodeRow[] = [];
      let done = 0;
      const spend = {
        portfolioId: row.portfolio_id,
        ventureId: row.venture_id,
        artifactId: row.artifact_id,
        buildId,
        currency: meta.currency,
        requester: principalOf(row),
      };

      await pool(
        nodes.map((node, seq) => ({ node, seq })),
        deps.nodeConcurrency ?? 4,
        async ({ node, seq }) => {
          const nodeStarted = performance.now();
          const hash = hashes.get(node.id)!;
          let resolution: NodeResolution;
          let attempts: Attempt[] = [];
          let fromCache = false;
          let how = "answered by";
          if (source) {
            const recorded = source.get(node.id);
            if (!recorded)
              throw new NodeFailed(
                node.id,
                `Replay: node ${node.id} is not in source build ${row.source_build_id}`,
                [],
              );
            const hashNow = requestHash(recorded.provider, recorded.model, node.request);
            if (hashNow !== recorded.request_hash) {
              throw new NodeFailed(
                node.id,
                `Replay: node ${node.id} asks something else than in build ${row.source_build_id}`,
                [],
              );
            }
            const stored = await getResponse(db, recorded.request_hash);
            if (!stored) {
              throw new NodeFailed(
                node.id,
                `Replay: no recorded response for node ${node.id} (request ${recorded.request_hash})`,
                [],
              );
            }
            resolution = {
              provider: recorded.provider,
              model: recorded.model,
              requestHash: hashNow,
              responseHash: stored.responseHash,
              response: stored.response,
            };
            attempts = [
              {
                provider: recorded.provider,
                model: recorded.model,
                outcome: "ok",
                error: "replayed from the record",
                durationMs: 0,
              },
            ];
            how = "replayed from";
          } else if (cached.has(hash)) {
            resolution = cached.get(hash)!;
            fromCache = true;
            cachedCount += 1;
            how = "cached from";
          } else {
            const result = await deps.router
              .resolve(node, {
                signal,
                callThrough: (provider, request, reqHash, options) =>
                  provider.paid
                    ? meteredProviderCall({
                        db,
                        ctx,
                        spend,
                        nodeId: node.id,
                        provider,
                        request,
                        requestHash: reqHash,
                        call: options,
                        meter: deps.meter,
                        clock,
                      })
                    : provider.call(request, options),
                record: (entry) => recordResponse(db, { ...entry, modality: node.modality }),
              })
              .catch((error) => {
                failedNode = node.id;
                throw error;
              });
            resolution = result.resolution;
            attempts = result.attempts;
            await putCachedNode(db, hash, node.modality, resolution);
            const fallbacks = attempts.filter((a) => a.outcome !== "ok");
            if (fallbacks.length > 0) {
              await progress.log(
                `node ${node.id}: ${fallbacks.map((a) => `${a.provider}:${a.model} ${a.outcome}${a.error ? ` (${a.error})` : ""}`).join("; ")} → fell back`,
                "warn",
              );
            }
          }
          resolutions.set(node.id, resolution);
          const summary =
            resolution.response.modality === "text"
              ? { text: resolution.response.text }
              : resolution.response.modality === "image"
                ? {
                    blobSha256: resolution.response.blobSha256,
                    width: resolution.response.width,
                    height: resolution.response.height,
                  }
                : { shots: resolution.response.storyboard.shots.length };
          const nodeRow = {
            build_id: buildId,
            node_id: node.id,
            seq,
            modality: node.modality,
            node_hash: hash,
            cached: fromCache,
            provider: resolution.provider,
            model: resolution.model,
            prompt: node.prompt,
            request_hash: resolution.requestHash,
            response_hash: resolution.responseHash,
            attempts,
            output: summary,
            duration_ms: Math.round(performance.now() - nodeStarted),
          };
          done += 1;
          if (fromCache || source) {
            // Fast: written together after the pool, with one progress line.
            pendingRows.push(nodeRow);
            return;
          }
          await insertNodeRows(db, [nodeRow]);
          await progress.step(
            "nodes",
            5 + (60 * done) / Math.max(1, nodes.length),
            describeNode(node, resolution, how),
          );
        },
      );
      if (pendingRows.length > 0) {
        await insertNodeRows(db, pendingRows);
        await progress.step(
          "nodes",
          65,
          `${pendingRows.length} node(s) ${source ? `replayed from the record of build ${row.source_build_id}` : "reused from the node cache"}`,
        );
      }

      // Materialize what the renderers need.
      const imageHashes = [...resolutions.values()].flatMap((r) =>
        r.response.modality === "image" ? [r.response.blobSha256] : [],
      );
      const blobs = await getBlobs(db, imageHashes);
      const resolved: Resolved = { texts: new Map(), images: new Map(), storyboard: null };
      for (const [id, r] of resolutions) {
        if (r.response.modality === "text") resolved.texts.set(id, r.response.text);
        else if (r.response.modality === "video") resolved.storyboard = r.response.storyboard;
        else {
          const bytes = blobs.get(r.response.blobSha256);
          invariant(bytes, `image blob ${r.response.blobSha256} of node ${id} is stored`);
          const image: ResolvedImage = {
            sha256: r.response.blobSha256,
            contentType: r.response.contentType,
            width: r.response.width,
            height: r.response.height,
            bytes,
          };
          resolved.images.set(id, image);
        }
      }
      const claims = detectClaims(ir, textsOf(ir, resolved));
      const claimKinds = claimKindsOf(claims);

      await progress.step("render", 70, "Rendering HTML and Markdown");
      const html = Buffer.from(renderHtml(ir, resolved), "utf8");
      const markdown = Buffer.from(renderMarkdown(ir, resolved), "utf8");
      const format = ir.kind === "pitch_deck" ? "slides" : "a4";
      // The browser is a node too (ARTIF-006): the same HTML printed the same way gives the same
      // PDF and PNG, so a build whose HTML is unchanged reuses them. A replay renders again, to
      // show the bytes come out the same.
      const useCache = row.mode === "build";
      const htmlSha = sha256Hex(html);
      const renderKey = (what: string) => sha256Hex(`venture-artifact-render/1|${what}|${format}|${htmlSha}`);
      const renderCache = useCache
        ? await getCachedBlobs(db, [renderKey("pdf"), renderKey("png")])
        : new Map<string, CachedBlob>();
      const pdfHit = renderCache.get(renderKey("pdf"));
      const pngHit = renderCache.get(renderKey("png"));
      let fresh: { pdf?: Buffer; png?: Buffer } = {};
      if (pdfHit && pngHit) await progress.step("pdf", 85, "PDF and PNG of this HTML reused from the cache");
      else {
        await progress.step(
          "pdf",
          75,
          `${[pdfHit ? null : "Printing the PDF", pngHit ? null : "taking the PNG preview"].filter(Boolean).join(" and ")} in Chromium`,
        );
        fresh = await deps.renderer.render(html.toString("utf8"), format, { pdf: !pdfHit, png: !pngHit });
      }
      const stored = async (what: "pdf" | "png", contentType: string, hit: CachedBlob | undefined) => {
        if (hit) return hit;
        const data = fresh[what];
        invariant(data, `the renderer made the ${what}`);
        const sha256 = await putBlob(db, data, contentType);
        await putCachedBlob(db, renderKey(what), what, { sha256, bytes: data.length, contentType });
        return { sha256, bytes: data.length, contentType, data };
      };
      const pdf: CachedBlob & { data?: Buffer } = await stored("pdf", "application/pdf", pdfHit);
      const png: CachedBlob & { data?: Buffer } = await stored("png", "image/png", pngHit);

      await progress.step("export", 92, "Hashing outputs, signing the manifest and writing the bundle");
      const files: Array<{
        name: string;
        contentType: string;
        sha256: string;
        bytes: number;
        data?: Buffer;
      }> = [
        {
          name: "index.html",
          contentType: "text/html; charset=utf-8",
          sha256: htmlSha,
          bytes: html.length,
          data: html,
        },
        {
          name: "artifact.md",
          contentType: "text/markdown; charset=utf-8",
          sha256: sha256Hex(markdown),
          bytes: markdown.length,
          data: markdown,
        },
        { name: "artifact.pdf", ...pdf },
        { name: "preview.png", ...png },
        ...[...new Map([...resolved.images.values()].map((i) => [i.sha256, i])).values()].map((image) => ({
          name: assetName(image),
          contentType: image.contentType,
          sha256: image.sha256,
          bytes: image.bytes.length,
          data: image.bytes,
        })),
      ].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      await putMissingBlobs(db, files);
      const outputs: ManifestOutput[] = files.map(({ name, contentType, bytes, sha256 }) => ({
        name,
        contentType,
        bytes,
        sha256,
      }));
      const manifestNodes: ManifestNode[] = nodes.map((node) => {
        const r = resolutions.get(node.id)!;
        return {
          id: node.id,
          modality: node.modality,
          provider: r.provider,
          model: r.model,
          prompt: node.prompt,
          requestHash: r.requestHash,
          responseHash: r.responseHash,
        };
      });
      const buildHash = buildHashOf(irHash, manifestNodes, outputs);
      const signer = deps.signer();
      const manifest: ArtifactManifest = {
        format: manifestFormat,
        artifact: {
          id: row.artifact_id,
          kind: ir.kind,
          title: ir.title,
          slug: meta.slug,
          version: row.version_number,
        },
        irHash,
        buildHash,
        claimKinds,
        nodes: manifestNodes,
        outputs,
        signer: { keyId: signer.keyId, algorithm: "ed25519" },
      };
      const manifestData = manifestBytes(manifest);
      const signature = signer.sign(manifestData);
      const keysJson = Buffer.from(`${JSON.stringify([signer.publicKey], null, 2)}\n`, "utf8");
      // The bundle is a pure function of the files, the IR, the manifest, its signature and the key.
      const bundleKey = sha256Hex(
        `venture-artifact-bundle/1|${sha256Hex(manifestData)}|${signature}|${sha256Hex(keysJson)}|${irHash}`,
      );
      const bundleHit = useCache ? (await getCachedBlobs(db, [bundleKey])).get(bundleKey) : undefined;
      let bundleSha256: string;
      if (bundleHit) bundleSha256 = bundleHit.sha256;
      else {
        const missing = files.filter((f) => !f.data).map((f) => f.sha256);
        const loaded = await getBlobs(db, missing);
        const bundle = writeZip([
          ...files.map((f) => {
            const data = f.data ?? loaded.get(f.sha256);
            invariant(data, `output ${f.name} (${f.sha256}) is stored`);
            return { name: f.name, data };
          }),
          { name: "ir.json", data: Buffer.from(canonical, "utf8") },
          { name: "manifest.json", data: manifestData },
          { name: "manifest.sig", data: Buffer.from(`${signature}\n`, "utf8") },
          { name: "keys.json", data: keysJson },
        ]);
        bundleSha256 = await putBlob(db, bundle, "application/zip");
        await putCachedBlob(db, bundleKey, "bundle", {
          sha256: bundleSha256,
          bytes: bundle.length,
          contentType: "application/zip",
        });
      }
      const manifestSha256 = sha256Hex(manifestData);
      const durationMs = Math.round(performance.now() - started);

      await withTransaction(db, async (tx) => {
        const updated = await tx.$executeRawUnsafe(
          `UPDATE artifact_builds SET status = 'succeeded', progress = 100, step = 'done', build_hash = $2, manifest = $3,
                manifest_sha256 = $4, signature = $5, key_id = $6, outputs = $7::jsonb, bundle_sha256 = $8, claims = $9::jsonb,
                claim_kinds = $10::text[], nodes_total = $11, nodes_cached = $12, finished_at = now(), heartbeat_at = now(),
                duration_ms = $13
          WHERE id = $1 AND status = 'running'`,
          buildId,
          buildHash,
          manifestData.toString("utf8"),
          manifestSha256,
          signature,
          signer.keyId,
          JSON.stringify(outputs),
          bundleSha256,
          JSON.stringify(claims),
          claimKinds,
          nodes.length,
          cachedCount,
          durationMs,
        );
        invariant(updated === 1, `build ${buildId} was still running when it finished`);
        await tx.$executeRawUnsafe(
          "UPDATE artifacts SET latest_build_id = $2, updated_at = now() WHERE id = $1",
          row.artifact_id,
          buildId,
        );
        await appendEvents(tx, ctx, [
          {
            type: "artifacts.build_succeeded",
            stream: { type: "artifact_build", id: buildId },
            expectedVersion: 1,
            portfolioId: row.portfolio_id,
            payload: {
              artifactId: row.artifact_id,
              ventureId: row.venture_id,
              buildId,
              versionNumber: row.version_number,
              mode: row.mode,
              irHash,
              buildHash,
              manifestSha256,
              bundleSha256,
              keyId: signer.keyId,
              outputs: outputs.map(({ name, sha256, bytes }) => ({ name, sha256, bytes })),
              nodes: nodes.length,
              cachedNodes: cachedCount,
              claimKinds,
              durationMs,
            },
          },
        ]);
      });
      await progress.log(
        `Done in ${durationMs} ms: build hash ${buildHash.slice(0, 16)}…, ${cachedCount}/${nodes.length} node(s) from the cache`,
      );
      deps.log.info(
        { buildId, buildHash, durationMs, cached: cachedCount, nodes: nodes.length },
        "artifact build succeeded",
      );
      return { status: "succeeded", buildHash };
    } catch (error) {
      const message = (error instanceof Error ? error.message : String(error)).slice(0, 2_000);
      const nodeId = error instanceof NodeFailed ? error.nodeId : failedNode;
      deps.log.warn({ buildId, err: message, nodeId }, "artifact build failed");
      await progress.log(message, "error").catch(() => {});
      await withTransaction(db, async (tx) => {
        const updated = await tx.$executeRawUnsafe(
          `UPDATE artifact_builds SET status = 'failed', step = 'failed', error = $2, failed_node = $3, finished_at = now(),
                duration_ms = $4 WHERE id = $1 AND status = 'running'`,
          buildId,
          message,
          nodeId,
          Math.round(performance.now() - started),
        );
        if (updated === 0) return;
        await appendEvents(tx, ctx, [
          {
            type: "artifacts.build_failed",
            stream: { type: "artifact_build", id: buildId },
            expectedVersion: 1,
            portfolioId: row.portfolio_id,
            payload: {
              artifactId: row.artifact_id,
              ventureId: row.venture_id,
              buildId,
              versionNumber: row.version_number,
              mode: row.mode,
              nodeId,
              error: message,
            },
          },
        ]);
      });
      return { status: "failed", error: message };
    }
  }
}

/** Builds running with no heartbeat for `staleMs` were lost (their compiler died): failed, with the reason. */
export async function failLostBuilds(deps: { db: Db; worker?: string }, staleMs: number): Promise<number> {
  const lost = await deps.db.$queryRawUnsafe<Array<{ id: string }>>(
    `SELECT id FROM artifact_builds WHERE status = 'running' AND heartbeat_at < now() - ($1::int * interval '1 millisecond')
      ORDER BY heartbeat_at LIMIT 50`,
    staleMs,
  );
  let failed = 0;
  for (const { id } of lost) {
    await withTransaction(deps.db, async (tx) => {
      const [row] = await tx.$queryRawUnsafe<BuildRow[]>(
        `SELECT id, artifact_id, portfolio_id, venture_id, version_number, mode FROM artifact_builds
          WHERE id = $1 AND status = 'running' AND heartbeat_at < now() - ($2::int * interval '1 millisecond') FOR UPDATE`,
        id,
        staleMs,
      );
      if (!row) return;
      const error = `The compiler running this build stopped (no heartbeat for ${Math.round(staleMs / 1000)} s); build it again`;
      await tx.$executeRawUnsafe(
        "UPDATE artifact_builds SET status = 'failed', step = 'failed', error = $2, finished_at = now() WHERE id = $1",
        id,
        error,
      );
      await appendEvents(
        tx,
        {
          actor: { type: "worker", id: deps.worker ?? "artifact-compiler" },
          correlationId: `cor_lost_${id}`,
        },
        [
          {
            type: "artifacts.build_failed",
            stream: { type: "artifact_build", id },
            expectedVersion: 1,
            portfolioId: row.portfolio_id,
            payload: {
              artifactId: row.artifact_id,
              ventureId: row.venture_id,
              buildId: id,
              versionNumber: row.version_number,
              mode: row.mode,
              nodeId: null,
              error,
            },
          },
        ],
      );
      failed += 1;
    });
  }
  return failed;
}

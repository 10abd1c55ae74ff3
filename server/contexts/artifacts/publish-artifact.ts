import { lockControlState } from "@/server/contexts/control/api";
import { checkPublish, type PolicyPrincipal } from "@/server/contexts/policy/api";
import { type Db, withTransaction } from "@/server/shared/db";
import { AppError, invariant } from "@/server/shared/errors";
import type { PolicyDecisionRecord } from "@/server/shared/events/catalog/policy";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { decidePublishable } from "./artifact-rules";
import { type ArtifactView, loadArtifact } from "./artifact-views";
import type { Claim } from "./claims";

export type PublishRefusal = { decision: PolicyDecisionRecord; claims: Claim[] };

/**
 * Publishes an approved artifact (ARTIF-007) after the compliance check: the portfolio's Cedar
 * publishing policy decides for the publisher, the artifact's review status and the kinds of claim
 * its reviewed build makes (found in its final text, generated text included), with the
 * kill-switch's state. Every decision is recorded: artifacts.published with the decision, or
 * artifacts.publish_refused — committed — and then UNPROCESSABLE with the policy's reasons and the
 * words that made each forbidden claim. A published landing page is served at
 * /p/<venture slug>/<artifact slug>.
 */
export async function publishArtifact(options: {
  db: Db;
  actor: EventActor;
  publisher: PolicyPrincipal;
  correlationId: string;
  ventureId: string;
  artifactId: string;
}): Promise<ArtifactView> {
  const refusal = await withTransaction(options.db, async (tx): Promise<PublishRefusal | null> => {
    const artifact = await loadArtifact(tx, options.ventureId, options.artifactId, true);
    const { buildId } = decidePublishable(artifact.state);
    let claims: Claim[] = [];
    let claimKinds: string[] = [];
    let buildHash: string | null = null;
    if (buildId) {
      const [build] = await tx.$queryRawUnsafe<
        Array<{ claims: Claim[] | null; claim_kinds: string[]; build_hash: string | null }>
      >("SELECT claims, claim_kinds, build_hash FROM artifact_builds WHERE id = $1", buildId);
      invariant(build, `review build ${buildId} exists`);
      claims = build.claims ?? [];
      claimKinds = build.claim_kinds;
      buildHash = build.build_hash;
    }
    const control = await lockControlState(tx);
    const decision = await checkPublish({
      db: tx,
      publisher: options.publisher,
      artifact: {
        artifactId: artifact.id,
        portfolioId: artifact.portfolioId,
        ventureId: artifact.ventureId,
        kind: artifact.kind,
        claimKinds,
        reviewStatus: artifact.status,
      },
      paused: control.state === "paused",
    });
    if (decision.outcome !== "allow" || !buildId || !buildHash) {
      await appendEvents(tx, options, [
        {
          type: "artifacts.publish_refused",
          stream: { type: "artifact", id: artifact.id },
          expectedVersion: artifact.streamVersion,
          portfolioId: artifact.portfolioId,
          payload: {
            artifactId: artifact.id,
            ventureId: artifact.ventureId,
            versionNumber: artifact.currentVersion,
            buildId,
            claimKinds,
            decision,
          },
        },
      ]);
      await tx.$executeRawUnsafe("UPDATE artifacts SET version = version + 1 WHERE id = $1", artifact.id);
      return { decision, claims };
    }
    const [venture] = await tx.$queryRawUnsafe<Array<{ slug: string }>>(
      "SELECT slug FROM ventures WHERE id = $1",
      artifact.ventureId,
    );
    invariant(venture, `venture ${artifact.ventureId} exists`);
    const path = `/p/${venture.slug}/${artifact.slug}`;
    const [holder] = await tx.$queryRawUnsafe<Array<{ id: string }>>(
      "SELECT id FROM artifacts WHERE published_path = $1 AND id <> $2",
      path,
      artifact.id,
    );
    if (holder) {
      throw new AppError(
        "CONFLICT",
        `The path ${path} is already served by another published artifact (${holder.id})`,
        {
          fields: { slug: "published path already taken" },
        },
      );
    }
    const [event] = await appendEvents(tx, options, [
      {
        type: "artifacts.published",
        stream: { type: "artifact", id: artifact.id },
        expectedVersion: artifact.streamVersion,
        portfolioId: artifact.portfolioId,
        payload: {
          artifactId: artifact.id,
          ventureId: artifact.ventureId,
          versionNumber: artifact.currentVersion,
          buildId,
          buildHash,
          path,
          claimKinds,
          decision,
        },
      },
    ]);
    const at = new Date(event!.occurredAt);
    await tx.$executeRawUnsafe(
      `UPDATE artifacts SET status = 'published', published_build_id = $2, published_version = $3, published_path = $4,
              published_by = $5, published_at = $6, updated_at = $6, version = version + 1
        WHERE id = $1`,
      artifact.id,
      buildId,
      artifact.currentVersion,
      path,
      options.actor.id,
      at,
    );
    return null;
  });
  if (refusal) {
    const forbidden = refusal.claims.filter((c) => c.kind !== "pricing" && c.kind !== "testimonial");
    const evidence = forbidden.map((c) => `${c.kind.replaceAll("_", " ")}: “${c.evidence}” in ${c.where}`);
    const reasons =
      refusal.decision.reasons.length > 0 ? refusal.decision.reasons : ["No publishing policy permits it"];
    throw new AppError(
      "UNPROCESSABLE",
      `Publishing was refused by the publishing policy: ${reasons.join("; ")}${evidence.length > 0 ? ` (${evidence.join("; ")})` : ""}`,
      { decision: refusal.decision, claims: refusal.claims, reasons },
    );
  }
  return loadArtifact(options.db, options.ventureId, options.artifactId);
}

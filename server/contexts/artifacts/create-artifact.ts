import { type Db, withTransaction } from "@/server/shared/db";
import { AppError } from "@/server/shared/errors";
import type { EventActor } from "@/server/shared/events/envelope";
import { appendEvents } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { type ArtifactView, loadArtifact } from "./artifact-views";
import { parseIr, slugify } from "./ir";

const slugPattern = /^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$/;

/**
 * Registers an artifact (ARTIF-001) with its IR as version 1, a draft. The IR is validated (bad
 * input names the field, nothing is written) and content-addressed by the SHA-256 of its
 * canonical JSON. The slug (the last part of its published path) is given or made from the title,
 * unique within the venture.
 */
export async function createArtifact(options: {
  db: Db;
  actor: EventActor;
  correlationId: string;
  ventureId: string;
  ir: unknown;
  slug?: string | null;
}): Promise<ArtifactView> {
  const parsed = parseIr(options.ir);
  if (options.slug != null && !slugPattern.test(options.slug)) {
    throw new AppError(
      "BAD_REQUEST",
      "Invalid slug: lower-case letters, digits and -, at most 60 characters",
      {
        fields: { slug: "lower-case letters, digits and -, at most 60 characters" },
      },
    );
  }
  const artifactId = newId("artifact");
  await withTransaction(options.db, async (tx) => {
    const [venture] = await tx.$queryRawUnsafe<Array<{ portfolio_id: string }>>(
      "SELECT portfolio_id FROM ventures WHERE id = $1",
      options.ventureId,
    );
    if (!venture)
      throw new AppError("NOT_FOUND", `Venture ${options.ventureId} not found`, {
        fields: { ventureId: "unknown" },
      });
    const taken = new Set(
      (
        await tx.$queryRawUnsafe<Array<{ slug: string }>>(
          "SELECT slug FROM artifacts WHERE venture_id = $1",
          options.ventureId,
        )
      ).map((r) => r.slug),
    );
    let slug = options.slug ?? slugify(parsed.ir.title);
    if (taken.has(slug)) {
      if (options.slug != null) {
        throw new AppError("CONFLICT", `The venture already has an artifact with slug ${slug}`, {
          fields: { slug: "already used" },
        });
      }
      let n = 2;
      while (taken.has(`${slug}-${n}`)) n++;
      slug = `${slug}-${n}`;
    }
    const [event] = await appendEvents(tx, options, [
      {
        type: "artifacts.artifact_created",
        stream: { type: "artifact", id: artifactId },
        expectedVersion: 0,
        portfolioId: venture.portfolio_id,
        payload: {
          artifactId,
          ventureId: options.ventureId,
          kind: parsed.ir.kind,
          title: parsed.ir.title,
          slug,
          versionNumber: 1,
          irHash: parsed.irHash,
        },
      },
    ]);
    const at = new Date(event!.occurredAt);
    await tx.$executeRawUnsafe(
      `INSERT INTO artifacts (id, portfolio_id, venture_id, kind, title, slug, status, current_version, author_id, created_by,
                              created_at, updated_at, version)
       VALUES ($1, $2, $3, $4, $5, $6, 'draft', 1, $7, $7, $8, $8, 1)`,
      artifactId,
      venture.portfolio_id,
      options.ventureId,
      parsed.ir.kind,
      parsed.ir.title,
      slug,
      options.actor.id,
      at,
    );
    await tx.$executeRawUnsafe(
      `INSERT INTO artifact_versions (artifact_id, number, ir, ir_hash, title, created_by, created_at)
       VALUES ($1, 1, $2::jsonb, $3, $4, $5, $6)`,
      artifactId,
      parsed.canonical,
      parsed.irHash,
      parsed.ir.title,
      options.actor.id,
      at,
    );
  });
  return loadArtifact(options.db, options.ventureId, artifactId);
}

// Fixtures for artifact tests and benches: IRs of each kind, a landing page with N sections
// (generated text and images in each), and a keyring in a temporary folder.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { AuditKeyring } from "@/server/contexts/compliance/api";
import type { Db } from "@/server/shared/db";
import type { ManifestSigner } from "./run-build";
import { keyringSigner } from "./signer";

export function landingPageIr(options: { sections?: number; title?: string; extraText?: string } = {}) {
  const count = options.sections ?? 10;
  const title = options.title ?? "Solar Kits for Schools";
  return {
    irVersion: 1,
    kind: "landing_page",
    title,
    description: `${title}: hands-on renewable energy lessons`,
    theme: { primaryColor: "#0f766e", font: "sans" },
    sections: Array.from({ length: count }, (_, i) =>
      i === 0
        ? {
            id: "hero",
            layout: "hero",
            heading: title,
            blocks: [
              {
                type: "text",
                text: { generate: { prompt: `A one-sentence pitch for ${title}`, maxWords: 30 } },
              },
              {
                type: "image",
                image: {
                  prompt: "Children building a solar panel",
                  alt: "Solar kit",
                  width: 480,
                  height: 270,
                },
              },
              { type: "cta", label: "Order a kit", href: "#order" },
            ],
          }
        : {
            id: `section-${i}`,
            heading: `Reason ${i}`,
            layout: i % 3 === 0 ? "split" : "default",
            blocks: [
              {
                type: "text",
                text: { generate: { prompt: `Explain benefit ${i} of ${title}`, maxWords: 60 } },
              },
              ...(i % 2 === 0
                ? [
                    {
                      type: "image",
                      image: {
                        prompt: `Illustration ${i}`,
                        alt: `Illustration ${i}`,
                        width: 320,
                        height: 180,
                        style: "abstract",
                      },
                    },
                  ]
                : [{ type: "list", items: ["Ready in a day", "Curriculum included", "Safe low voltage"] }]),
              ...(options.extraText && i === 1 ? [{ type: "text", text: options.extraText }] : []),
            ],
          },
    ),
  };
}

export function temporaryKeyDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "venture-artifact-keys-"));
}

/** A manifest signer over a fresh audit keyring in a temporary folder, its key published in db. */
export async function testSigner(db: Db): Promise<() => ManifestSigner> {
  return keyringSigner(db, AuditKeyring.open(temporaryKeyDir()));
}

/**
 * For the role x procedure matrix (roles.int.test.ts): artifacts written by a system actor (so
 * every member may review them), one built with its build, and fresh ones in each state for the
 * procedures that change state — one per call, since the matrix calls each procedure six times.
 * Built for real (built-in providers, Chromium); identical IRs make every build after the first
 * come from the node and render caches.
 */
export async function artifactsMatrixFixture(db: Db, ventureId: string, chromiumPath: string) {
  const { CircuitBreakers } = await import("./providers/breaker");
  const { builtinChains } = await import("./providers/config");
  const { ProviderRouter } = await import("./providers/router");
  const { ChromiumRenderer } = await import("./render/chromium");
  const { createArtifact } = await import("./create-artifact");
  const { requestBuild } = await import("./request-build");
  const { claimBuild, executeBuild } = await import("./run-build");
  const { submitForReview } = await import("./submit-for-review");
  const { approveArtifact } = await import("./approve-artifact");
  const { withTransaction } = await import("@/server/shared/db");
  const { createLogger } = await import("@/server/shared/logger");
  const author = { type: "system" as const, id: "matrix-author" };
  const reviewer = { type: "system" as const, id: "matrix-reviewer" };
  const renderer = new ChromiumRenderer({ executablePath: chromiumPath });
  const deps = {
    db,
    log: createLogger({ name: "matrix", level: "silent" }),
    router: new ProviderRouter(builtinChains(), new CircuitBreakers(), 5_000),
    renderer,
    signer: await testSigner(db),
  };
  let n = 0;
  const make = async (state: "draft" | "built" | "in_review" | "approved") => {
    n += 1;
    const ir = landingPageIr({ sections: 1, title: "Matrix page" });
    const artifact = await createArtifact({
      db,
      actor: author,
      correlationId: "cor_matrix",
      ventureId,
      ir,
      slug: `matrix-${n}`,
    });
    if (state === "draft") return { artifactId: artifact.id, buildId: "" };
    const build = await requestBuild({
      db,
      actor: author,
      role: "founder",
      correlationId: "cor_matrix",
      ventureId,
      artifactId: artifact.id,
    });
    await withTransaction(db, (tx) => claimBuild(tx, build.id, new Date()));
    const outcome = await executeBuild(deps, build.id, { correlationId: "cor_matrix", causationId: null });
    if (outcome.status !== "succeeded") throw new Error(`matrix build failed: ${outcome.error}`);
    if (state !== "built")
      await submitForReview({
        db,
        actor: author,
        correlationId: "cor_matrix",
        ventureId,
        artifactId: artifact.id,
      });
    if (state === "approved")
      await approveArtifact({
        db,
        actor: reviewer,
        correlationId: "cor_matrix",
        ventureId,
        artifactId: artifact.id,
      });
    return { artifactId: artifact.id, buildId: build.id };
  };
  try {
    const built = await make("built");
    const pool = async (state: "built" | "in_review" | "approved") => {
      const items: string[] = [];
      for (let i = 0; i < 6; i++) items.push((await make(state)).artifactId);
      return () => items.shift() ?? "art_exhausted";
    };
    return {
      artifactId: built.artifactId,
      buildId: built.buildId,
      nextBuilt: await pool("built"),
      nextInReview: await pool("in_review"),
      nextInReviewForChanges: await pool("in_review"),
      nextApproved: await pool("approved"),
    };
  } finally {
    await renderer.close();
  }
}

// Artifact compiler figures (ARTIF-002/004/006), on a scratch database with the built-in providers
// and one shared Chromium, measuring the compiler's build step itself (executeBuild; JetStream
// delivery is measured by the dispatch bench):
// - cold build of a 10-section landing page (15 nodes, nothing cached), target < 2 s;
// - cached rebuild of the same page (every node, render and bundle from the cache), target < 200 ms;
// - PDF export of that page in Chromium, target < 3 s.
import { createArtifact } from "@/server/contexts/artifacts/create-artifact";
import { artifactIrSchema } from "@/server/contexts/artifacts/ir";
import { CircuitBreakers } from "@/server/contexts/artifacts/providers/breaker";
import { builtinChains } from "@/server/contexts/artifacts/providers/config";
import { ProviderRouter } from "@/server/contexts/artifacts/providers/router";
import { ChromiumRenderer } from "@/server/contexts/artifacts/render/chromium";
import { renderHtml } from "@/server/contexts/artifacts/render/html";
import { requestBuild } from "@/server/contexts/artifacts/request-build";
import { claimBuild, executeBuild } from "@/server/contexts/artifacts/run-build";
import { landingPageIr, testSigner } from "@/server/contexts/artifacts/testing";
import { createPortfolio } from "@/server/contexts/orchestration/create-portfolio";
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import { createDb, withTransaction } from "@/server/shared/db";
import { loadEnv } from "@/server/shared/env";
import { createLogger } from "@/server/shared/logger";
import { type Bench, type Metric, percentile, round, scratchDatabase } from "./lib";

const coldRuns = 5;
const cachedRuns = 20;
const pdfRuns = 5;

function figure(samples: number[], target: number, note: string): Metric {
  const sorted = [...samples].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  return {
    value: round(p50, 1),
    unit: "ms",
    p50: round(p50, 1),
    p99: round(sorted.at(-1)!, 1),
    note: `${note}; target < ${target} ms; p99 is the slowest of ${samples.length}`,
  };
}

async function run() {
  const env = loadEnv();
  const database = await scratchDatabase();
  const db = createDb(database.url);
  const renderer = new ChromiumRenderer({ executablePath: env.CHROMIUM_PATH });
  const log = createLogger({ name: "bench", level: "silent" });
  try {
    const actor = { type: "user" as const, id: "usr_bench" };
    const { portfolioId } = await createPortfolio({ db, actor, correlationId: "cor_bench", name: "Bench" });
    const venture = await createVenture({
      db,
      actor,
      correlationId: "cor_bench",
      portfolioId,
      name: "Bench kits",
      goal: null,
    });
    const deps = {
      db,
      log,
      router: new ProviderRouter(builtinChains(), new CircuitBreakers(), 5_000),
      renderer,
      signer: await testSigner(db),
    };
    const buildOnce = async (artifactId: string) => {
      const build = await requestBuild({
        db,
        actor,
        role: "founder",
        correlationId: "cor_bench",
        ventureId: venture.id,
        artifactId,
      });
      await withTransaction(db, (tx) => claimBuild(tx, build.id, new Date()));
      const started = performance.now();
      const outcome = await executeBuild(deps, build.id, { correlationId: "cor_bench", causationId: null });
      const ms = performance.now() - started;
      if (outcome.status !== "succeeded") throw new Error(`bench build failed: ${outcome.error}`);
      return ms;
    };
    // Warm the browser (its launch is once per process, not per build).
    await renderer.pdf("<p>warm</p>", "a4");

    const cold: number[] = [];
    let lastArtifact = "";
    for (let i = 0; i < coldRuns; i++) {
      // A new title changes every node's request: nothing is in the cache.
      const artifact = await createArtifact({
        db,
        actor,
        correlationId: "cor_bench",
        ventureId: venture.id,
        ir: landingPageIr({ sections: 10, title: `Solar Kits ${i}` }),
      });
      cold.push(await buildOnce(artifact.id));
      lastArtifact = artifact.id;
    }
    const cached: number[] = [];
    for (let i = 0; i < cachedRuns; i++) cached.push(await buildOnce(lastArtifact));

    const html = renderHtml(artifactIrSchema.parse(landingPageIr({ sections: 10 })), {
      texts: new Map(),
      images: new Map(),
      storyboard: null,
    });
    const pdf: number[] = [];
    for (let i = 0; i < pdfRuns; i++) {
      const started = performance.now();
      await renderer.pdf(html, "a4");
      pdf.push(performance.now() - started);
    }
    return {
      artifact_cold_build_10_sections: figure(
        cold,
        2_000,
        "15 nodes with built-in providers, HTML, Markdown, PDF, PNG, signed zip",
      ),
      artifact_cached_rebuild_10_sections: figure(
        cached,
        200,
        "every node, the PDF, the PNG and the bundle from the cache",
      ),
      artifact_pdf_export: figure(
        pdf,
        3_000,
        "Chromium page.pdf of the 10-section page, A4, timestamps normalized",
      ),
    };
  } finally {
    await renderer.close();
    await db.$disconnect();
    await database.drop();
  }
}

const bench: Bench = { name: "artifacts", run };
export default bench;

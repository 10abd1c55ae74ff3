// The artifact pipeline in one test process: the outbox relay and the artifact compiler's consumer
// on the test file's own database and namespace, with one shared Chromium per test file.
import { CircuitBreakers } from "@/server/contexts/artifacts/providers/breaker";
import { builtinChains, type ProviderChains } from "@/server/contexts/artifacts/providers/config";
import { ProviderRouter } from "@/server/contexts/artifacts/providers/router";
import { ChromiumRenderer } from "@/server/contexts/artifacts/render/chromium";
import type { PageRenderer } from "@/server/contexts/artifacts/render/renderer";
import { testSigner } from "@/server/contexts/artifacts/testing";
import type { Db } from "@/server/shared/db";
import type { TestServices } from "@/test/services";
import type { Stoppable } from "../_runtime/worker";
import { startOutboxRelay } from "../outbox-relay/relay";
import { type ArtifactCompiler, startArtifactCompiler } from "./compiler";

export type CompilerStack = {
  relay: Stoppable;
  compiler: ArtifactCompiler;
  router: ProviderRouter;
  stop(): Promise<void>;
};

/** A renderer that outlives stacks: close it in afterAll. */
export function testRenderer(s: TestServices): PageRenderer {
  const chromium = new ChromiumRenderer({ executablePath: s.env.CHROMIUM_PATH });
  return chromium;
}

export async function startCompilerStack(
  s: TestServices,
  options: {
    renderer: PageRenderer;
    chains?: ProviderChains;
    timeoutMs?: number;
    breakers?: CircuitBreakers;
  },
): Promise<CompilerStack> {
  const relay = await startOutboxRelay(s, { pollMs: 100 });
  const router = new ProviderRouter(
    options.chains ?? builtinChains(),
    options.breakers ?? new CircuitBreakers(),
    options.timeoutMs ?? 5_000,
  );
  // The stack must not close the shared renderer when it stops.
  const renderer: PageRenderer = {
    pdf: (h, f) => options.renderer.pdf(h, f),
    png: (h, f) => options.renderer.png(h, f),
    render: (h, f, w) => options.renderer.render(h, f, w),
    close: async () => {},
  };
  const compiler = await startArtifactCompiler(s, {
    router,
    renderer,
    signer: await testSigner(s.db),
    concurrency: 2,
  });
  return {
    relay,
    compiler,
    router,
    async stop() {
      await compiler.stop();
      await relay.stop();
    },
  };
}

export async function waitForBuild(
  db: Db,
  buildId: string,
  timeoutMs = 30_000,
): Promise<{ status: string; error: string | null }> {
  const started = Date.now();
  for (;;) {
    const [row] = await db.$queryRawUnsafe<Array<{ status: string; error: string | null }>>(
      "SELECT status, error FROM artifact_builds WHERE id = $1",
      buildId,
    );
    if (row && (row.status === "succeeded" || row.status === "failed"))
      return { status: row.status, error: row.error };
    if (Date.now() - started > timeoutMs)
      throw new Error(`build ${buildId} still ${row?.status} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

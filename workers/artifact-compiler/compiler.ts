// The artifact compiler's consumer (ARTIF-002): artifacts.build_requested, through the one
// consumer harness. The handler claims the build in the harness's transaction (queued → running,
// with the inbox row: a message delivered twice runs once) and the build executes after the claim
// committed, outside any transaction. One shared Chromium serves every render of the process; a
// sweeper fails builds whose compiler died mid-way (no heartbeat), so none stays "running" forever.
import {
  type CompilerDeps,
  claimBuild,
  executeBuild,
  failLostBuilds,
} from "@/server/contexts/artifacts/run-build";
import { type Clock, systemClock } from "@/server/shared/clock";
import type { Db } from "@/server/shared/db";
import type { Logger } from "@/server/shared/logger";
import type { NatsConnection, natsNames } from "@/server/shared/nats";
import { type RunningConsumer, startConsumer } from "../_runtime/consumer";
import { alwaysOpenGate, type DispatchGate } from "../_runtime/gate";

type Services = { db: Db; nc: NatsConnection; names: ReturnType<typeof natsNames>; log: Logger };

export type ArtifactCompilerOptions = Omit<CompilerDeps, "db" | "log"> & {
  /** Builds at once in this process. */
  concurrency?: number;
  /** A running build without a heartbeat for this long was lost. */
  lostAfterMs?: number;
  sweepMs?: number;
  clock?: Clock;
};

export type ArtifactCompiler = { stats: Record<string, number>; stop(): Promise<void> };

export async function startArtifactCompiler(
  services: Services,
  options: ArtifactCompilerOptions,
  gate: DispatchGate = alwaysOpenGate,
  hooks?: { trackAbortable(controller: AbortController, kind?: string): () => void },
): Promise<ArtifactCompiler> {
  const clock = options.clock ?? systemClock;
  const log = services.log.child({ component: "artifact-compiler" });
  const deps: CompilerDeps = { ...options, db: services.db, log };
  const stats = { buildsStarted: 0, buildsSucceeded: 0, buildsFailed: 0, buildsLost: 0 };
  const running = new Set<AbortController>();

  const consumer: RunningConsumer = await startConsumer(
    services,
    {
      name: "artifact-builds",
      eventTypes: ["artifacts.build_requested"],
      concurrency: options.concurrency ?? 2,
      maxDeliver: 5,
      ackWaitMs: 30_000,
      async handle(envelope, { tx, afterCommit }) {
        if (envelope.type !== "artifacts.build_requested") return;
        const buildId = envelope.payload.buildId;
        if (!(await claimBuild(tx, buildId, clock.now()))) {
          log.info({ buildId }, "build already claimed or finished");
          return;
        }
        stats.buildsStarted++;
        afterCommit(async () => {
          const controller = new AbortController();
          running.add(controller);
          const untrack = hooks?.trackAbortable(controller, "artifactBuilds");
          try {
            const outcome = await executeBuild(deps, buildId, {
              correlationId: envelope.correlationId,
              causationId: envelope.id,
              signal: controller.signal,
            });
            if (outcome.status === "succeeded") stats.buildsSucceeded++;
            else stats.buildsFailed++;
          } finally {
            running.delete(controller);
            untrack?.();
          }
        });
      },
    },
    gate,
  );

  const sweepMs = options.sweepMs ?? 30_000;
  const lostAfterMs = options.lostAfterMs ?? 120_000;
  let sweeping = false;
  const sweeper = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    failLostBuilds({ db: services.db, worker: options.worker }, lostAfterMs)
      .then((n) => {
        stats.buildsLost += n;
      })
      .catch((error) => log.warn({ err: String(error) }, "lost-build sweep failed"))
      .finally(() => {
        sweeping = false;
      });
  }, sweepMs);
  sweeper.unref();

  return {
    get stats() {
      return { ...stats, ...consumer.stats };
    },
    async stop() {
      clearInterval(sweeper);
      for (const controller of running) controller.abort(new Error("the artifact compiler is stopping"));
      await consumer.stop();
      await options.renderer.close();
    },
  };
}

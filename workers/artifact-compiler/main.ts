// artifact-compiler: IR → build → render → export, provenance (ARTIF-001…007, ADR 0010). One
// consumer of artifacts.build_requested; one shared Chromium for every PDF and PNG of the process;
// manifests signed with the audit key; provider chains per modality from the environment.

import { CircuitBreakers } from "@/server/contexts/artifacts/providers/breaker";
import { chainSpecFromEnv, makeChains } from "@/server/contexts/artifacts/providers/config";
import { ProviderRouter } from "@/server/contexts/artifacts/providers/router";
import { ChromiumRenderer } from "@/server/contexts/artifacts/render/chromium";
import { keyringSigner } from "@/server/contexts/artifacts/signer";
import { AuditKeyring, complianceSettings } from "@/server/contexts/compliance/api";
import { runWorker } from "../_runtime/worker";
import { startArtifactCompiler } from "./compiler";

await runWorker({
  name: "artifact-compiler",
  consumers: [],
  loops: [
    async (services, runtime) => {
      const { spec, credentials } = chainSpecFromEnv(services.env);
      services.log.info({ chains: spec }, "artifact provider chains");
      const router = new ProviderRouter(
        makeChains(spec, credentials),
        new CircuitBreakers(),
        services.env.ARTIFACT_PROVIDER_TIMEOUT_MS,
      );
      const keyring = AuditKeyring.open(complianceSettings(services.env).keyDir);
      return startArtifactCompiler(
        services,
        {
          router,
          renderer: new ChromiumRenderer({ executablePath: services.env.CHROMIUM_PATH }),
          signer: await keyringSigner(services.db, keyring),
          worker: `artifact-compiler:${runtime.instanceId}`,
          lostAfterMs: Math.max(120_000, services.env.ARTIFACT_PROVIDER_TIMEOUT_MS * 3),
        },
        runtime.gate,
        runtime.gate,
      );
    },
  ],
});

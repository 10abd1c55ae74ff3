// orchestrator: venture provisioning, and the scheduler loop — DAG readiness, fair and
// budget-aware dispatch, retries, timeouts and escalation (ORCH-002…006, ADR 0009).
import { complianceSettings, startComplianceWorker } from "@/server/contexts/compliance/api";
import { treasurySettingsFromEnv } from "@/server/contexts/treasury/rails/api";
import { loadEnv } from "@/server/shared/env";
import { runWorker } from "../_runtime/worker";
import { playbookJobs } from "./playbook-jobs";
import { startScheduler } from "./scheduler";
import { templateStages } from "./template-stages";
import { treasuryJobs } from "./treasury-jobs";
import { ventureProvisioning } from "./venture-provisioning";

// Treasury (ADR 0011): payouts, settlement, expiry, anomaly freezes, scheduled reconciliation.
const treasury = treasuryJobs({ settings: treasurySettingsFromEnv(loadEnv()) });
// Scale-up playbooks (ADR 0017): fire on trailing revenue, raise concurrency once approved.
const playbooks = playbookJobs();

await runWorker({
  name: "orchestrator",
  consumers: [ventureProvisioning, templateStages, ...treasury.consumers, ...playbooks.consumers],
  // Limits from the environment: tasks in flight across all ventures (the fair-share pool), how
  // long a dispatched task may wait for an agent; timers are swept every second.
  loops: [
    (services, runtime) =>
      startScheduler(
        services,
        {
          globalConcurrency: services.env.ORCHESTRATOR_GLOBAL_CONCURRENCY,
          dispatchTimeoutMs: services.env.ORCHESTRATOR_DISPATCH_TIMEOUT_MS,
          sweepMs: 1_000,
        },
        runtime.gate,
      ),
    (services, runtime) => treasury.loop(services, runtime),
    (services, runtime) => playbooks.loop(services, runtime),
    // Compliance (ADR 0008, 0013): signed checkpoints, verifications, evidence packs, continuous
    // findings checks and personal-data retention. Not gated by the kill-switch (they move no money).
    (services) => startComplianceWorker(services, complianceSettings(services.env)),
  ],
});

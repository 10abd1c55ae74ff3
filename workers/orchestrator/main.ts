// orchestrator: venture provisioning, and the scheduler loop — DAG readiness, fair and
// budget-aware dispatch, retries, timeouts and escalation (ORCH-002…006, ADR 0009).
import { runWorker } from "../_runtime/worker";
import { startScheduler } from "./scheduler";
import { templateStages } from "./template-stages";
import { ventureProvisioning } from "./venture-provisioning";

await runWorker({
  name: "orchestrator",
  consumers: [ventureProvisioning, templateStages],
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
  ],
});

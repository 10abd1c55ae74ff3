// agent-runtime: L1 planner, L2 specialist roles and L3 supervised subprocesses, each on its own
// work subject and durable consumer (ORCH-003, AGENT-001…008, ADR 0009). The kill-switch gate stops
// fetching, aborts in-flight runs and terminates the supervisor's process groups.
import { runWorker } from "../_runtime/worker";
import { providersFromEnv } from "./providers-config";
import { startAgentRuntime } from "./runtime";

await runWorker({
  name: "agent-runtime",
  consumers: [],
  loops: [
    (services, runtime) =>
      startAgentRuntime(
        services,
        {
          worker: `agent-runtime:${runtime.instanceId}`,
          providers: providersFromEnv(services.env),
          leaseMs: services.env.AGENT_LEASE_MS,
        },
        runtime.gate,
        runtime.gate,
      ),
  ],
});

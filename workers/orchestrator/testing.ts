// The whole pipeline in one test process: relay, the orchestrator's scheduler and the agent
// runtime's consumers, on the test file's own database and namespace (as consumer.int.test.ts does).
import type { TestServices } from "@/test/services";
import type { Stoppable } from "../_runtime/worker";
import { type AgentRuntime, type AgentRuntimeOptions, startAgentRuntime } from "../agent-runtime/runtime";
import { startOutboxRelay } from "../outbox-relay/relay";
import { type SchedulerOptions, startScheduler } from "./scheduler";

export type Stack = {
  relay: Stoppable;
  scheduler: Stoppable & { stats: Record<string, number>; wake(): void };
  agents: AgentRuntime;
  stop(): Promise<void>;
};

export async function startStack(
  s: TestServices,
  options: { scheduler?: SchedulerOptions; agents?: AgentRuntimeOptions } = {},
): Promise<Stack> {
  const relay = await startOutboxRelay(s, { pollMs: 100 });
  const scheduler = await startScheduler(s, {
    tickMs: 100,
    sweepMs: 200,
    globalConcurrency: 16,
    dispatchTimeoutMs: 30_000,
    ...options.scheduler,
  });
  const agents = await startAgentRuntime(s, { leaseMs: 1_500, approvalPollMs: 100, ...options.agents });
  return {
    relay,
    scheduler,
    agents,
    async stop() {
      await agents.stop();
      await scheduler.stop();
      await relay.stop();
    },
  };
}

import { advanceTemplateStage } from "@/server/contexts/orchestration/template-stages";
import type { ConsumerSpec } from "../_runtime/consumer";

/** Moves a templated venture to its next stage when a phase of its template completes (ORCH-008). */
export const templateStages: ConsumerSpec = {
  name: "orchestrator-template-stages",
  eventTypes: ["orchestration.task_succeeded"],
  concurrency: 4,
  maxDeliver: 5,
  async handle(envelope, { tx, log }) {
    if (envelope.type !== "orchestration.task_succeeded") return;
    const advanced = await advanceTemplateStage(
      tx,
      {
        actor: { type: "worker", id: "orchestrator" },
        correlationId: envelope.correlationId,
        causationId: envelope.id,
      },
      envelope.payload.taskId,
    );
    if (advanced) log.info(advanced, "template phase complete: venture stage advanced");
  },
};

import { provisionVenture } from "@/server/contexts/orchestration/provision-venture";
import type { ConsumerSpec } from "../_runtime/consumer";

export const ventureProvisioning: ConsumerSpec = {
  name: "orchestrator-venture-provisioning",
  eventTypes: ["orchestration.venture_created"],
  concurrency: 8,
  maxDeliver: 5,
  async handle(envelope, { tx, log }) {
    if (envelope.type !== "orchestration.venture_created") return;
    const provisioned = await provisionVenture({
      tx,
      actor: { type: "worker", id: "orchestrator" },
      correlationId: envelope.correlationId,
      causationId: envelope.id,
      ventureId: envelope.payload.ventureId,
    });
    log.info({ ventureId: envelope.payload.ventureId, provisioned }, "venture provisioned");
  },
};

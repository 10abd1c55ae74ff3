// Test helpers for notifications (*.int.test.ts only).
import type { Db } from "@/server/shared/db";
import { registerWebhook } from "./register-webhook";

/** For the role matrices: a webhook endpoint in the portfolio, to list deliveries of and disable. */
export async function notificationsMatrixFixture(
  db: Db,
  portfolioId: string,
): Promise<{ endpointId: string }> {
  const { endpoint } = await registerWebhook({
    db,
    actor: { type: "system", id: "matrix" },
    correlationId: "cor_matrix_webhooks",
    portfolioId,
    url: "https://hooks.example.test/venture",
    eventTypes: ["control.paused", "control.resumed"],
    description: "matrix",
  });
  return { endpointId: endpoint.id };
}

// Stripe webhooks (TREAS-008, ADR 0011): an adapter only. The raw body is read as text, since the
// signature covers the exact bytes Stripe sent; the use-case verifies it, dedupes by event id and
// records what the event causes.
import { handleStripeWebhook } from "@/server/contexts/treasury/rails/api";
import { treasurySettingsFromEnv } from "@/server/contexts/treasury/rails/settings";
import { webRuntime } from "@/server/runtime";

export const dynamic = "force-dynamic";

export async function POST(request: Request) {
  const { db, env, log } = webRuntime();
  const answer = await handleStripeWebhook({
    db,
    secret: treasurySettingsFromEnv(env).stripeWebhookSecret,
    rawBody: await request.text(),
    signature: request.headers.get("stripe-signature"),
    log,
  });
  return Response.json(answer.body, { status: answer.status });
}

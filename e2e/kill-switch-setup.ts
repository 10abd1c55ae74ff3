// Setup for e2e/kill-switch.spec.ts, run with tsx against the journey database e2e/serve.ts made:
// a provisioned venture with budget for the run (built-in provider calls are metered), a venture
// whose treasury can take money intents with one intent already waiting for approval, and an API
// token for the founder. Prints one JSON line.
import { createApiToken } from "@/server/contexts/identity/api-tokens";
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import { eventually } from "@/server/contexts/orchestration/testing/fixtures";
import { allowCounterparty, createIntent } from "@/server/contexts/treasury/intents/api";
import { fundVenture } from "@/server/contexts/treasury/intents/testing";
import { createDb } from "@/server/shared/db";
import { baseDatabaseUrl } from "@/test/urls";
import { e2eUsers } from "./users";

const db = createDb(baseDatabaseUrl("venture_e2e"));
const actor = { type: "system" as const, id: "e2e" };
const tag = Date.now().toString(36);
try {
  const [portfolio] = await db.$queryRawUnsafe<Array<{ id: string }>>(
    "SELECT id FROM portfolios WHERE name = 'Journey Portfolio'",
  );
  const [founder] = await db.$queryRawUnsafe<Array<{ id: string }>>(
    "SELECT id FROM users WHERE email = $1",
    e2eUsers.founder,
  );
  if (!portfolio || !founder) throw new Error("run e2e/serve.ts first: the journey portfolio is missing");
  const ventureName = `Kill switch ${tag}`;
  // The running orchestrator provisions the venture (provisioning it here too would race it).
  const ventureId = (
    await createVenture({
      db,
      actor,
      correlationId: "cor_e2e_killswitch",
      portfolioId: portfolio.id,
      name: ventureName,
      goal: null,
    })
  ).id;
  await eventually(
    async () => (await db.venture.findUnique({ where: { id: ventureId } }))?.status === "ready",
    30_000,
    "the orchestrator to provision the venture",
  );
  await fundVenture(db, portfolio.id, ventureId, 5_000_000n);
  const moneyVentureId = (
    await createVenture({
      db,
      actor,
      correlationId: "cor_e2e_killswitch",
      portfolioId: portfolio.id,
      name: `Kill switch money ${tag}`,
      goal: null,
    })
  ).id;
  await fundVenture(db, portfolio.id, moneyVentureId, 10_000_000n);
  await allowCounterparty({ db, ventureId: moneyVentureId, counterpartyId: "acme" });
  const pending = await createIntent({
    db,
    actor: { type: "user", id: founder.id },
    correlationId: "cor_e2e_killswitch",
    requester: { kind: "user", userId: founder.id, portfolioId: portfolio.id, portfolioRole: "founder" },
    input: {
      portfolioId: portfolio.id,
      ventureId: moneyVentureId,
      amountMinor: "60000",
      currency: "USD",
      counterparty: "acme",
      category: "model_inference",
      purpose: `Kill-switch e2e ${tag}`,
      idempotencyKey: `e2e-killswitch-${tag}`,
    },
  });
  if (pending.status !== "pending_approval") throw new Error(`the setup intent is ${pending.status}`);
  const { token } = await createApiToken({
    db,
    actor,
    correlationId: "cor_e2e_killswitch",
    email: e2eUsers.founder,
    name: `kill-switch e2e ${tag}`,
    ttlDays: 1,
  });
  console.log(
    JSON.stringify({
      portfolioId: portfolio.id,
      ventureId,
      ventureName,
      moneyVentureId,
      pendingIntentId: pending.id,
      pendingPurpose: pending.purpose,
      founderToken: token,
    }),
  );
} finally {
  await db.$disconnect();
}

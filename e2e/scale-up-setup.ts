// Setup for e2e/scale-up.spec.ts, run with tsx against the journey database e2e/serve.ts made: a
// provisioned venture whose budget can pay for a run (built-in provider calls are metered), running
// one task at a time (the playbook raises that), and an API token for the founder, who takes the
// sandbox payments and submits the run over the HTTP API. Prints one JSON line.
import { createApiToken } from "@/server/contexts/identity/api-tokens";
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import { setVentureLimits } from "@/server/contexts/orchestration/set-venture-limits";
import { eventually } from "@/server/contexts/orchestration/testing/fixtures";
import { fundVenture } from "@/server/contexts/treasury/intents/testing";
import { createDb } from "@/server/shared/db";
import { baseDatabaseUrl } from "@/test/urls";
import { e2eUsers } from "./users";

const db = createDb(baseDatabaseUrl("venture_e2e"));
const actor = { type: "system" as const, id: "e2e" };
const correlationId = "cor_e2e_scale_up";
const tag = Date.now().toString(36);
try {
  const [portfolio] = await db.$queryRawUnsafe<Array<{ id: string }>>(
    "SELECT id FROM portfolios WHERE name = 'Journey Portfolio'",
  );
  if (!portfolio) throw new Error("run e2e/serve.ts first: the journey portfolio is missing");
  const ventureName = `Scale up ${tag}`;
  // The running orchestrator provisions the venture (provisioning it here too would race it).
  const ventureId = (
    await createVenture({
      db,
      actor,
      correlationId,
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
  await setVentureLimits({ db, actor, correlationId, ventureId, concurrencyLimit: 1, weight: 1 });
  const { token } = await createApiToken({
    db,
    actor,
    correlationId,
    email: e2eUsers.founder,
    name: `scale-up e2e ${tag}`,
    ttlDays: 1,
  });
  console.log(JSON.stringify({ portfolioId: portfolio.id, ventureId, ventureName, founderToken: token }));
} finally {
  await db.$disconnect();
}

// Setup for e2e/crisis.spec.ts (UJ-3), run with tsx against the journey database e2e/serve.ts made.
// It plays the parts no person plays: a venture with a budget from its earlier history, and then
// one of its agents bursting spending, through the same createIntent an agent's requests go through
// (policy, holds, events): three ad buys within the automatic limit (approved), one above it
// (waiting for a finance controller), and ten top-ups the budget can no longer cover (denied).
// Together they ask for more than TREASURY_VELOCITY_MAX_AMOUNT_MINOR (100,000.00 USD) within a
// minute — a velocity spike, first crossed by the last top-up — and the running orchestrator's
// anomaly guard freezes the venture by itself.
//
// Two phases, so the spec can open its pages in between: the venture is made and a JSON line
// {"phase":"ready"} printed; the burst starts when a line arrives on stdin, and a JSON line
// {"phase":"done"} follows once the venture is frozen.
//
// Determinism: in production the guard races the payout worker, which may pay the first ad buys
// before the freeze lands (that money is gone; what is still held is what the finance controller
// voids). So that the journey always finds held payments, the payout queue is locked (LOCK TABLE
// treasury_payouts, which blocks inserts and updates, not reads) from before the burst until the
// freeze is visible: the worker queues the approved ad buys only after the freeze, and holds them
// back. Nothing else is changed; the lock is released before the second line is printed.
import pg from "pg";
import { createVenture } from "@/server/contexts/orchestration/create-venture";
import { eventually } from "@/server/contexts/orchestration/testing/fixtures";
import { allowCounterparty, createIntent } from "@/server/contexts/treasury/intents/api";
import { fundVenture } from "@/server/contexts/treasury/intents/testing";
import { createDb } from "@/server/shared/db";
import { baseDatabaseUrl } from "@/test/urls";

const databaseUrl = baseDatabaseUrl("venture_e2e");
const db = createDb(databaseUrl);
const tag = Date.now().toString(36);
const lock = new pg.Client({ connectionString: databaseUrl });
try {
  const [portfolio] = await db.$queryRawUnsafe<Array<{ id: string }>>(
    "SELECT id FROM portfolios WHERE name = 'Journey Portfolio'",
  );
  if (!portfolio) throw new Error("run e2e/serve.ts first: the journey portfolio is missing");
  const portfolioId = portfolio.id;
  const ventureName = `Crisis Ads ${tag}`;
  // The running orchestrator provisions the venture (provisioning it here too would race it).
  const ventureId = (
    await createVenture({
      db,
      actor: { type: "system", id: "e2e" },
      correlationId: "cor_e2e_crisis",
      portfolioId,
      name: ventureName,
      goal: "Grow sign-ups with paid ads",
    })
  ).id;
  await eventually(
    async () => (await db.venture.findUnique({ where: { id: ventureId } }))?.status === "ready",
    30_000,
    "the orchestrator to provision the venture",
  );
  // Its earlier history: 2,000.00 USD of budget, and the ad network on its allowlist.
  await fundVenture(db, portfolioId, ventureId, 200_000n);
  await allowCounterparty({ db, ventureId, counterpartyId: "adnet" });
  console.log(JSON.stringify({ phase: "ready", portfolioId, ventureId, ventureName, tag }));
  await new Promise((resolve) => process.stdin.once("data", resolve));
  process.stdin.pause();

  await lock.connect();
  await lock.query("BEGIN");
  await lock.query("LOCK TABLE treasury_payouts IN EXCLUSIVE MODE");

  const agentId = `growth-marketer-${tag}`;
  let n = 0;
  const ask = (amountMinor: string, purpose: string) =>
    createIntent({
      db,
      actor: { type: "agent", id: agentId },
      correlationId: `cor_e2e_crisis_${tag}`,
      requester: { kind: "agent", agentId, ventureId, portfolioId, role: "growth_marketer", level: "L2" },
      input: {
        portfolioId,
        ventureId,
        amountMinor,
        currency: "USD",
        counterparty: "adnet",
        category: "advertising",
        purpose,
        idempotencyKey: `e2e-crisis-${tag}-${++n}`,
      },
    });
  const heldIds: string[] = [];
  for (let i = 1; i <= 3; i++) {
    const intent = await ask("45000", `Ad burst ${tag}: search slot ${i}`);
    if (intent.status !== "approved") throw new Error(`ad buy ${i} is ${intent.status}`);
    heldIds.push(intent.id);
  }
  const pending = await ask("60000", `Ad burst ${tag}: premium placement`);
  if (pending.status !== "pending_approval") throw new Error(`the placement is ${pending.status}`);
  // 1,950.00 USD so far; the tenth top-up takes the minute's requests past 100,000.00 USD.
  let denied = 0;
  for (let i = 1; i <= 10; i++) {
    const topUp = await ask("980600", `Ad burst ${tag}: retargeting top-up ${i}`);
    if (topUp.status === "denied") denied++;
  }
  // The anomaly guard sees the spike and freezes the venture by itself.
  const freeze = await eventually(
    async () => db.treasuryFreeze.findUnique({ where: { id: ventureId } }),
    30_000,
    "the anomaly guard to freeze the venture",
  );
  await lock.query("COMMIT");
  console.log(
    JSON.stringify({
      phase: "done",
      heldIds,
      pendingId: pending.id,
      pendingPurpose: pending.purpose,
      denied,
      freezeReason: freeze.reason,
    }),
  );
} finally {
  await lock.end().catch(() => {});
  await db.$disconnect();
}

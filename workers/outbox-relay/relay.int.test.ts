// The relay's wake-up: appends notify it only while it listens (a notifying commit serialises the
// others, ADR 0005). Whatever the flag says when an event commits, the event is sealed and
// published: at once when the relay listens, within its busy poll when it is busy.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTransaction } from "@/server/shared/db";
import { appendEvents, type CommandContext } from "@/server/shared/events/store";
import { newId } from "@/server/shared/ids";
import { openTestServices, type TestServices } from "@/test/services";
import type { Stoppable } from "../_runtime/worker";
import { startOutboxRelay } from "./relay";

let s: TestServices;
type Relay = Stoppable & { stats: { published: number } };
let relay: Relay | null = null;
const ctx: CommandContext = { actor: { type: "system", id: "relay-test" }, correlationId: "cor_relay" };

beforeAll(async () => {
  s = await openTestServices();
});
afterAll(async () => {
  await relay?.stop();
  await s.close();
});

async function appendOne(): Promise<void> {
  const portfolioId = newId("portfolio");
  await withTransaction(s.db, (tx) =>
    appendEvents(tx, ctx, [
      {
        type: "orchestration.portfolio_created",
        stream: { type: "portfolio", id: portfolioId },
        expectedVersion: 0,
        portfolioId,
        payload: { portfolioId, name: `Relay ${portfolioId}` },
      },
    ]),
  );
}

async function listening(): Promise<boolean> {
  const [row] = await s.db.$queryRawUnsafe<Array<{ listening: boolean }>>(
    "SELECT listening FROM outbox_wake WHERE id = 1",
  );
  return row!.listening;
}

async function publishedCount(): Promise<number> {
  const [row] = await s.db.$queryRawUnsafe<Array<{ sequence: bigint }>>(
    "SELECT sequence FROM relay_cursors WHERE name = 'jetstream'",
  );
  return Number(row!.sequence);
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (!(await check())) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return performance.now() - started;
}

describe("outbox relay wake-up", () => {
  it("listens when idle, so a single append is published on its notification, not the poll", async () => {
    // A poll interval far longer than the wait: only the notification can wake it in time.
    relay = (await startOutboxRelay(s, { pollMs: 60_000 })) as Relay;
    await waitFor("the relay to listen", listening, 5_000);
    const before = await publishedCount();
    await appendOne();
    const ms = await waitFor(
      "the event to be published",
      async () => (await publishedCount()) > before,
      5_000,
    );
    expect(ms).toBeLessThan(5_000);
  });

  it("stops asking for notifications while busy and listens again once the work runs out", async () => {
    const before = await publishedCount();
    const flags: boolean[] = [];
    const writers = Array.from({ length: 4 }, async () => {
      for (let i = 0; i < 60; i++) {
        await appendOne();
        if (i % 10 === 0) flags.push(await listening());
      }
    });
    await Promise.all(writers);
    await waitFor(
      "all 240 events to be published",
      async () => (await publishedCount()) >= before + 240,
      10_000,
    );
    // While events kept coming, the relay was polling, and appends skipped the notification.
    expect(flags).toContain(false);
    await waitFor("the relay to listen again", listening, 5_000);
  });

  it("publishes an event that committed without a notification because the flag said busy", async () => {
    // A relay that stopped while busy leaves the flag cleared: appends meanwhile do not notify.
    // The next relay drains before it trusts notifications, so nothing is stranded.
    await relay!.stop();
    relay = null;
    await s.db.$executeRawUnsafe("UPDATE outbox_wake SET listening = false WHERE id = 1");
    const before = await publishedCount();
    await appendOne(); // no notification: the flag says busy
    relay = (await startOutboxRelay(s, { pollMs: 60_000 })) as Relay;
    await waitFor("the event to be published", async () => (await publishedCount()) > before, 5_000);
    await waitFor("the relay to listen", listening, 5_000);
  });
});

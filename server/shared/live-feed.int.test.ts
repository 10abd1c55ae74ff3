import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTestServices, type TestServices } from "@/test/services";
import { withTransaction } from "./db";
import { appendEvents, type CommandContext, sealEvents } from "./events/store";
import { newId } from "./ids";
import { type LiveEvent, liveFeed } from "./live-feed";

let s: TestServices;
const ctx: CommandContext = { actor: { type: "system", id: "test" }, correlationId: "cor_live" };

beforeAll(async () => {
  s = await openTestServices();
});
afterAll(async () => {
  await s.close();
});

/** One event in the portfolio: a venture created in it. */
async function newPortfolioEvent(portfolioId: string) {
  const ventureId = newId("venture");
  await withTransaction(s.db, (tx) =>
    appendEvents(tx, ctx, [
      {
        type: "orchestration.venture_created",
        stream: { type: "venture", id: ventureId },
        expectedVersion: 0,
        portfolioId,
        payload: { ventureId, portfolioId, name: "Live", slug: "live", goal: "Be seen live", stage: "idea" },
      },
    ]),
  );
}

async function newPortfolio(): Promise<string> {
  const portfolioId = newId("portfolio");
  await withTransaction(s.db, (tx) =>
    appendEvents(tx, ctx, [
      {
        type: "orchestration.portfolio_created",
        stream: { type: "portfolio", id: portfolioId },
        expectedVersion: 0,
        portfolioId,
        payload: { portfolioId, name: "live" },
      },
    ]),
  );
  await sealEvents(s.db);
  return portfolioId;
}

/** Takes items from the feed until `count` arrived or the time is up; then aborts it. */
async function take(
  options: { portfolioIds: string[]; afterSequence: number | null },
  count: number,
  whileSubscribed: () => Promise<void> = async () => {},
): Promise<LiveEvent[]> {
  const controller = new AbortController();
  const seen: LiveEvent[] = [];
  const timer = setTimeout(() => controller.abort(), 10_000);
  const reading = (async () => {
    for await (const event of liveFeed(s.db).subscribe({ ...options, signal: controller.signal })) {
      seen.push(event);
      if (seen.length >= count) controller.abort();
    }
  })();
  await whileSubscribed();
  await reading;
  clearTimeout(timer);
  return seen;
}

describe("live event feed", () => {
  it("pushes new sealed events of the subscribed portfolio only, in order, once each", async () => {
    const mine = await newPortfolio();
    const other = await newPortfolio();
    const seen = await take({ portfolioIds: [mine], afterSequence: null }, 3, async () => {
      await new Promise((r) => setTimeout(r, 400));
      for (const portfolioId of [mine, other, mine, other, mine]) await newPortfolioEvent(portfolioId);
      await sealEvents(s.db);
    });
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((e) => e.portfolioId))).toEqual(new Set([mine]));
    expect(seen.map((e) => e.sequence)).toEqual([...seen.map((e) => e.sequence)].sort((a, b) => a - b));
    expect(new Set(seen.map((e) => e.id)).size).toBe(3);
  });

  it("a subscriber that reconnects first gets what it missed, then what is new", async () => {
    const mine = await newPortfolio();
    const first = await take({ portfolioIds: [mine], afterSequence: null }, 1, async () => {
      await new Promise((r) => setTimeout(r, 400));
      await newPortfolioEvent(mine);
      await sealEvents(s.db);
    });
    // Disconnected: two more happen.
    await newPortfolioEvent(mine);
    await newPortfolioEvent(mine);
    await sealEvents(s.db);
    const resumed = await take({ portfolioIds: [mine], afterSequence: first[0]!.sequence }, 3, async () => {
      await new Promise((r) => setTimeout(r, 400));
      await newPortfolioEvent(mine);
      await sealEvents(s.db);
    });
    expect(resumed).toHaveLength(3);
    expect(resumed[0]!.sequence).toBeGreaterThan(first[0]!.sequence);
    expect(new Set(resumed.map((e) => e.sequence)).size).toBe(3);
  });

  it("ends when its signal aborts, even with nothing new", async () => {
    const controller = new AbortController();
    const stream = liveFeed(s.db).subscribe({
      portfolioIds: ["pf_none"],
      afterSequence: null,
      signal: controller.signal,
    });
    const next = stream.next();
    setTimeout(() => controller.abort(), 200);
    expect((await next).done).toBe(true);
  });
});

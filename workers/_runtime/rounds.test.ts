import { describe, expect, it } from "vitest";
import { runRounds } from "./rounds";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("runRounds", () => {
  it("waits between rounds, and a wake-up cuts the wait short", async () => {
    const starts: number[] = [];
    const rounds = runRounds({
      round: async () => {
        starts.push(Date.now());
      },
      waitMs: () => 10_000,
      onError: () => {},
    });
    await sleep(50);
    expect(starts).toHaveLength(1);
    const woken = Date.now();
    rounds.wake();
    await sleep(50);
    expect(starts).toHaveLength(2);
    expect(starts[1]! - woken).toBeLessThan(40);
    await rounds.stop();
  });

  it("keeps a wake-up that arrives during a round, so the next round starts at once", async () => {
    let count = 0;
    let release: () => void = () => {};
    const rounds = runRounds({
      round: () => {
        count++;
        return count === 1 ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
      },
      waitMs: () => 10_000,
      onError: () => {},
    });
    await sleep(10);
    rounds.wake();
    release();
    await sleep(50);
    expect(count).toBe(2);
    await rounds.stop();
  });

  it("reports a failed round and carries on; stop waits for the round in progress", async () => {
    const errors: unknown[] = [];
    let count = 0;
    let finished = false;
    const rounds = runRounds({
      round: async () => {
        count++;
        if (count === 1) throw new Error("boom");
        await sleep(80);
        finished = true;
      },
      waitMs: () => 0,
      onError: (error) => errors.push(error),
    });
    await sleep(20);
    await rounds.stop();
    expect(finished).toBe(true);
    expect(errors.map(String)).toEqual(["Error: boom"]);
    expect(count).toBe(2);
  });
});

import { describe, expect, it } from "vitest";
import { AppError } from "./errors";
import { GroupCommit, type Settled } from "./group-commit";

/** A runner whose groups finish when the test says so, recording every group it was given. */
function gatedRunner() {
  const groups: string[][] = [];
  const gates: Array<() => void> = [];
  const run = async (group: string[]): Promise<Array<Settled<string>>> => {
    groups.push(group);
    await new Promise<void>((resolve) => gates.push(resolve));
    return group.map((r) =>
      r.startsWith("bad") ? { ok: false, error: new Error(r) } : { ok: true, value: `done ${r}` },
    );
  };
  const releaseAll = async () => {
    while (gates.length > 0) {
      gates.shift()!();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  };
  return { groups, gates, run, releaseAll };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("group commit", () => {
  it("starts a request at once, alone, while a runner is free", async () => {
    const runner = gatedRunner();
    const commit = new GroupCommit<string, string>({
      run: runner.run,
      maxRunning: 2,
      maxBatch: 10,
      maxQueued: 10,
      what: "things",
    });
    const a = commit.submit("a");
    const b = commit.submit("b");
    await tick();
    expect(runner.groups).toEqual([["a"], ["b"]]);
    await runner.releaseAll();
    expect(await Promise.all([a, b])).toEqual(["done a", "done b"]);
  });

  it("groups what arrives while every runner is busy, up to maxBatch, oldest first", async () => {
    const runner = gatedRunner();
    const commit = new GroupCommit<string, string>({
      run: runner.run,
      maxRunning: 1,
      maxBatch: 3,
      maxQueued: 10,
      what: "things",
    });
    const answers = ["a", "b", "c", "d", "e", "f"].map((r) => commit.submit(r));
    await tick();
    expect(runner.groups).toEqual([["a"]]);
    expect(commit.queued).toBe(5);
    await runner.releaseAll();
    await runner.releaseAll();
    expect(runner.groups).toEqual([["a"], ["b", "c", "d"], ["e", "f"]]);
    expect(await Promise.all(answers)).toEqual(["a", "b", "c", "d", "e", "f"].map((r) => `done ${r}`));
  });

  it("answers each request of a group with its own value or error", async () => {
    const runner = gatedRunner();
    const commit = new GroupCommit<string, string>({
      run: runner.run,
      maxRunning: 1,
      maxBatch: 5,
      maxQueued: 10,
      what: "things",
    });
    const first = commit.submit("first");
    const settled = Promise.allSettled(["x", "bad-y", "z"].map((r) => commit.submit(r)));
    await tick();
    await runner.releaseAll();
    await runner.releaseAll();
    await first;
    const outcomes = await settled;
    expect(runner.groups[1]).toEqual(["x", "bad-y", "z"]);
    expect(outcomes.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toContain("bad-y");
  });

  it("fails every request of a group whose run throws, and goes on with the next group", async () => {
    let calls = 0;
    const commit = new GroupCommit<string, string>({
      run: async (group) => {
        calls += 1;
        await tick();
        if (calls === 2) throw new Error("connection lost");
        return group.map((r) => ({ ok: true, value: r }));
      },
      maxRunning: 1,
      maxBatch: 2,
      maxQueued: 10,
      what: "things",
    });
    const outcomes = await Promise.allSettled(["a", "b", "c", "d", "e"].map((r) => commit.submit(r)));
    expect(outcomes.map((o) => o.status)).toEqual([
      "fulfilled",
      "rejected",
      "rejected",
      "fulfilled",
      "fulfilled",
    ]);
    expect(calls).toBe(3);
  });

  it("never puts two requests with one key in a group", async () => {
    const runner = gatedRunner();
    const commit = new GroupCommit<string, string>({
      run: runner.run,
      maxRunning: 1,
      maxBatch: 10,
      maxQueued: 10,
      key: (r) => r.slice(0, 1),
      what: "things",
    });
    const answers = ["a1", "a2", "b1", "a3", "c1", "b2"].map((r) => commit.submit(r));
    await tick();
    for (let i = 0; i < 4; i++) await runner.releaseAll();
    expect(runner.groups).toEqual([["a1"], ["a2", "b1", "c1"], ["a3", "b2"]]);
    expect(await Promise.all(answers)).toHaveLength(6);
  });

  it("refuses at once, as UNAVAILABLE, beyond maxQueued waiting requests", async () => {
    const runner = gatedRunner();
    const commit = new GroupCommit<string, string>({
      run: runner.run,
      maxRunning: 1,
      maxBatch: 10,
      maxQueued: 2,
      what: "things",
    });
    const accepted = ["a", "b", "c"].map((r) => commit.submit(r));
    const refused = await commit.submit("d").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe("UNAVAILABLE");
    expect((refused as AppError).message).toMatch(/2 things already wait/);
    await runner.releaseAll();
    await runner.releaseAll();
    expect(await Promise.all(accepted)).toEqual(["done a", "done b", "done c"]);
  });
});

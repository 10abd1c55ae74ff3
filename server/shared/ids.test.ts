import { describe, expect, it } from "vitest";
import { idPattern, newId } from "./ids";

describe("newId", () => {
  it("mints well-formed ids that never repeat, across many refills of the random pool", () => {
    const ids = Array.from({ length: 20_000 }, () => newId("event"));
    for (const id of ids.slice(0, 100)) expect(id).toMatch(idPattern("event"));
    expect(new Set(ids).size).toBe(ids.length);
    // The random part of ids minted in the same millisecond differs too.
    const sameMs = Array.from({ length: 1_000 }, () => newId("task", 1_700_000_000_000));
    expect(new Set(sameMs).size).toBe(sameMs.length);
  });

  it("sorts by time: a later millisecond sorts after an earlier one", () => {
    const earlier = newId("venture", 1_700_000_000_000);
    const later = newId("venture", 1_700_000_000_001);
    expect(earlier < later).toBe(true);
    expect(earlier.slice(0, 14)).not.toBe(later.slice(0, 14));
  });
});

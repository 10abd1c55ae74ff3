import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AppError } from "@/server/shared/errors";
import {
  assertValidDag,
  type DagNode,
  dagProblems,
  depths,
  findCycle,
  readyKeys,
  topologicalOrder,
} from "./dag";

/** A random DAG: node i may depend only on nodes before it, so it is acyclic by construction. */
const dagArbitrary = fc
  .integer({ min: 1, max: 40 })
  .chain((n) =>
    fc.tuple(
      ...Array.from({ length: n }, (_, i) =>
        i === 0
          ? fc.constant<number[]>([])
          : fc.uniqueArray(fc.integer({ min: 0, max: i - 1 }), { maxLength: Math.min(i, 4) }),
      ),
    ),
  )
  .map((deps): DagNode[] => deps.map((d, i) => ({ key: `t${i}`, dependsOn: d.map((j) => `t${j}`) })));

describe("DAG rules", () => {
  it("accepts every acyclic graph and orders dependencies first", () => {
    fc.assert(
      fc.property(dagArbitrary, (nodes) => {
        expect(dagProblems(nodes)).toEqual([]);
        const order = topologicalOrder(nodes)!;
        const position = new Map(order.map((k, i) => [k, i]));
        for (const node of nodes)
          for (const d of node.dependsOn) expect(position.get(d)!).toBeLessThan(position.get(node.key)!);
        const depth = depths(nodes);
        for (const node of nodes) {
          const expected =
            node.dependsOn.length === 0 ? 0 : 1 + Math.max(...node.dependsOn.map((d) => depth.get(d)!));
          expect(depth.get(node.key)).toBe(expected);
        }
      }),
    );
  });

  it("refuses a back edge as a cycle naming keys that form the cycle", () => {
    fc.assert(
      fc.property(
        dagArbitrary.filter((n) => n.some((x) => x.dependsOn.length > 0)),
        fc.nat(),
        (nodes, pick) => {
          // Add an edge from a dependency back to a node that depends on it: a cycle.
          const withDeps = nodes.filter((n) => n.dependsOn.length > 0);
          const node = withDeps[pick % withDeps.length]!;
          const target = nodes.find((n) => n.key === node.dependsOn[0])!;
          const cyclic = nodes.map((n) =>
            n === target ? { ...n, dependsOn: [...n.dependsOn, node.key] } : n,
          );
          const problems = dagProblems(cyclic);
          const cycle = problems.find((p) => p.kind === "cycle");
          expect(cycle).toBeDefined();
          const keys = (cycle as { keys: string[] }).keys;
          expect(keys[0]).toBe(keys.at(-1));
          // Each consecutive pair is an edge: keys[i+1] is a dependency of keys[i].
          const byKey = new Map(cyclic.map((n) => [n.key, n]));
          for (let i = 0; i + 1 < keys.length; i++)
            expect(byKey.get(keys[i]!)!.dependsOn).toContain(keys[i + 1]);
          expect(topologicalOrder(cyclic)).toBeNull();
        },
      ),
    );
  });

  it("names unknown dependencies, duplicate keys and self-dependencies by field", () => {
    const attempt = () =>
      assertValidDag([
        { key: "a", dependsOn: [] },
        { key: "b", dependsOn: ["a", "ghost"] },
        { key: "a", dependsOn: [] },
        { key: "c", dependsOn: ["c"] },
      ]);
    expect(attempt).toThrowError(AppError);
    try {
      attempt();
    } catch (error) {
      const fields = (error as AppError).details.fields!;
      expect(fields["tasks[1].dependsOn[1]"]).toMatch(/unknown task "ghost"/);
      expect(fields["tasks[2].key"]).toMatch(/used twice/);
      expect(fields["tasks[3].dependsOn"]).toMatch(/itself/);
      expect((error as AppError).message).toMatch(/ghost/);
    }
  });

  it("names the cycle in the error message", () => {
    expect(() =>
      assertValidDag([
        { key: "a", dependsOn: ["c"] },
        { key: "b", dependsOn: ["a"] },
        { key: "c", dependsOn: ["b"] },
      ]),
    ).toThrowError(/cycle: (a → c → b → a|b → a → c → b|c → b → a → c)/);
  });

  it("accepts dependencies on existing tasks of the workstream", () => {
    expect(dagProblems([{ key: "a", dependsOn: ["tsk_existing"] }], new Set(["tsk_existing"]))).toEqual([]);
  });

  it("finds no cycle in a long chain without overflowing the stack", () => {
    const chain = Array.from({ length: 50_000 }, (_, i) => ({
      key: `n${i}`,
      dependsOn: i === 0 ? [] : [`n${i - 1}`],
    }));
    expect(findCycle(chain)).toBeNull();
  });

  it("marks ready exactly the tasks whose dependencies all succeeded", () => {
    fc.assert(
      fc.property(dagArbitrary, fc.array(fc.boolean(), { maxLength: 40 }), (nodes, flags) => {
        const succeeded = new Set(nodes.filter((_, i) => flags[i]).map((n) => n.key));
        const ready = new Set(readyKeys(nodes, succeeded));
        for (const node of nodes) {
          const expected = !succeeded.has(node.key) && node.dependsOn.every((d) => succeeded.has(d));
          expect(ready.has(node.key)).toBe(expected);
        }
      }),
    );
  });
});

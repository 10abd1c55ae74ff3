// The DAG rules, pure (ORCH-002): a submission names its tasks by key and its dependencies by key
// (or by the id of a task already in the workstream). Duplicate keys, unknown dependencies and
// cycles are refused on submit, naming the offending keys, before anything is written.
import { AppError } from "@/server/shared/errors";

export type DagNode = { key: string; dependsOn: readonly string[] };

export type DagProblem =
  | { kind: "duplicate_key"; index: number; key: string }
  | { kind: "unknown_dependency"; index: number; depIndex: number; key: string; dependency: string }
  | { kind: "self_dependency"; index: number; key: string }
  | { kind: "cycle"; keys: string[] };

/**
 * Finds every problem with a submission. `existing` holds the ids of tasks already in the
 * workstream, which new tasks may depend on; they cannot depend on new tasks, so they cannot close
 * a cycle. Returns [] for a valid DAG.
 */
export function dagProblems(
  nodes: readonly DagNode[],
  existing: ReadonlySet<string> = new Set(),
): DagProblem[] {
  const problems: DagProblem[] = [];
  const indexOf = new Map<string, number>();
  nodes.forEach((node, index) => {
    if (indexOf.has(node.key)) problems.push({ kind: "duplicate_key", index, key: node.key });
    else indexOf.set(node.key, index);
  });
  nodes.forEach((node, index) => {
    node.dependsOn.forEach((dependency, depIndex) => {
      if (dependency === node.key) problems.push({ kind: "self_dependency", index, key: node.key });
      else if (!indexOf.has(dependency) && !existing.has(dependency)) {
        problems.push({ kind: "unknown_dependency", index, depIndex, key: node.key, dependency });
      }
    });
  });
  const cycle = findCycle(nodes, indexOf);
  if (cycle) problems.push({ kind: "cycle", keys: cycle });
  return problems;
}

/**
 * One cycle among the new nodes, as the keys along it with the first repeated at the end
 * (a → b → a), or null. Iterative depth-first search, so a long chain cannot overflow the stack.
 * Self-dependencies are reported separately and skipped here.
 */
export function findCycle(nodes: readonly DagNode[], indexOf?: Map<string, number>): string[] | null {
  const index = indexOf ?? new Map(nodes.map((n, i) => [n.key, i]));
  const white = 0;
  const grey = 1;
  const black = 2;
  const colour = new Array<number>(nodes.length).fill(white);
  for (let root = 0; root < nodes.length; root++) {
    if (colour[root] !== white || index.get(nodes[root]!.key) !== root) continue;
    const stack: Array<{ node: number; next: number }> = [{ node: root, next: 0 }];
    colour[root] = grey;
    while (stack.length > 0) {
      const frame = stack[stack.length - 1]!;
      const deps = nodes[frame.node]!.dependsOn;
      if (frame.next >= deps.length) {
        colour[frame.node] = black;
        stack.pop();
        continue;
      }
      const dependency = deps[frame.next++]!;
      const target = index.get(dependency);
      if (target === undefined || target === frame.node) continue;
      if (colour[target] === grey) {
        // Walk back from the current node to the target along the grey path.
        const path: string[] = [nodes[target]!.key];
        const along = stack.map((f) => f.node);
        const from = along.indexOf(target);
        for (const n of along.slice(from + 1)) path.push(nodes[n]!.key);
        path.push(nodes[target]!.key);
        return path;
      }
      if (colour[target] === white) {
        colour[target] = grey;
        stack.push({ node: target, next: 0 });
      }
    }
  }
  return null;
}

/** The same problems as a BAD_REQUEST naming each offending field, e.g. tasks[2].dependsOn[0]. */
export function assertValidDag(
  nodes: readonly DagNode[],
  existing: ReadonlySet<string> = new Set(),
  field = "tasks",
): void {
  const problems = dagProblems(nodes, existing);
  if (problems.length === 0) return;
  const fields: Record<string, string> = {};
  const messages: string[] = [];
  for (const problem of problems) {
    switch (problem.kind) {
      case "duplicate_key":
        fields[`${field}[${problem.index}].key`] = `key "${problem.key}" is used twice`;
        messages.push(`task key "${problem.key}" is used twice`);
        break;
      case "unknown_dependency":
        fields[`${field}[${problem.index}].dependsOn[${problem.depIndex}]`] =
          `unknown task "${problem.dependency}"`;
        messages.push(`task "${problem.key}" depends on unknown task "${problem.dependency}"`);
        break;
      case "self_dependency":
        fields[`${field}[${problem.index}].dependsOn`] = `task "${problem.key}" depends on itself`;
        messages.push(`task "${problem.key}" depends on itself`);
        break;
      case "cycle":
        fields[field] = `cycle: ${problem.keys.join(" → ")}`;
        messages.push(`the dependencies form a cycle: ${problem.keys.join(" → ")}`);
        break;
    }
  }
  throw new AppError("BAD_REQUEST", `Invalid task graph: ${messages.join("; ")}`, {
    fields,
    problems,
  });
}

/**
 * Depth of each node: 0 for a node without dependencies, else 1 + the deepest dependency.
 * Used to lay the DAG out in columns. Dependencies outside `nodes` count as depth -1.
 * Assumes an acyclic graph (a cycle is never stored).
 */
export function depths(nodes: readonly DagNode[]): Map<string, number> {
  const byKey = new Map(nodes.map((n) => [n.key, n]));
  const depth = new Map<string, number>();
  for (const start of nodes) {
    if (depth.has(start.key)) continue;
    const stack: Array<{ key: string; expanded: boolean }> = [{ key: start.key, expanded: false }];
    while (stack.length > 0) {
      const frame = stack.pop()!;
      if (depth.has(frame.key)) continue;
      const node = byKey.get(frame.key);
      if (!node) continue;
      const pending = node.dependsOn.filter((d) => byKey.has(d) && !depth.has(d));
      if (!frame.expanded && pending.length > 0) {
        stack.push({ key: frame.key, expanded: true });
        for (const d of pending) stack.push({ key: d, expanded: false });
        continue;
      }
      const deepest = Math.max(-1, ...node.dependsOn.map((d) => depth.get(d) ?? -1));
      depth.set(frame.key, deepest + 1);
    }
  }
  return depth;
}

/** A topological order of the nodes (dependencies first), or null when there is a cycle. */
export function topologicalOrder(nodes: readonly DagNode[]): string[] | null {
  const keys = new Set(nodes.map((n) => n.key));
  const indegree = new Map(nodes.map((n) => [n.key, 0]));
  const dependents = new Map<string, string[]>();
  for (const node of nodes) {
    for (const dep of new Set(node.dependsOn)) {
      if (!keys.has(dep)) continue;
      indegree.set(node.key, indegree.get(node.key)! + 1);
      dependents.set(dep, [...(dependents.get(dep) ?? []), node.key]);
    }
  }
  const queue = nodes.filter((n) => indegree.get(n.key) === 0).map((n) => n.key);
  const order: string[] = [];
  while (queue.length > 0) {
    const key = queue.shift()!;
    order.push(key);
    for (const next of dependents.get(key) ?? []) {
      indegree.set(next, indegree.get(next)! - 1);
      if (indegree.get(next) === 0) queue.push(next);
    }
  }
  return order.length === keys.size ? order : null;
}

/** Tasks whose every dependency has succeeded: the ones that may run now, in parallel. */
export function readyKeys(nodes: readonly DagNode[], succeeded: ReadonlySet<string>): string[] {
  return nodes
    .filter((n) => !succeeded.has(n.key) && n.dependsOn.every((d) => succeeded.has(d)))
    .map((n) => n.key);
}

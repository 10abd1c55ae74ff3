"use client";
// The live DAG of a venture's workstream (CTRL-002) with React Flow: one column per depth
// (dependencies to the left), nodes coloured by status. Polled by the venture page every second.
import { Background, Controls, type Edge, MarkerType, type Node, Position, ReactFlow } from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useMemo } from "react";
import { statusColor } from "./format";

export type DagTask = {
  id: string;
  title: string;
  role: string;
  level: string;
  status: string;
  depth: number;
  dependsOn: string[];
};

const columnWidth = 240;
const rowHeight = 84;

export function DagView({
  tasks,
  selected,
  onSelect,
}: {
  tasks: DagTask[];
  selected: string | null;
  onSelect(id: string): void;
}) {
  const { nodes, edges } = useMemo(() => {
    const rows = new Map<number, number>();
    const ids = new Set(tasks.map((t) => t.id));
    const nodes: Node[] = [...tasks]
      .sort((a, b) => a.depth - b.depth || a.title.localeCompare(b.title))
      .map((task) => {
        const row = rows.get(task.depth) ?? 0;
        rows.set(task.depth, row + 1);
        return {
          id: task.id,
          position: { x: task.depth * columnWidth, y: row * rowHeight },
          data: {
            label: (
              <div className="text-left" data-testid="dag-node" data-status={task.status}>
                <div className="truncate text-xs font-semibold text-slate-900">{task.title}</div>
                <div className="mt-0.5 flex justify-between gap-2 text-[10px] uppercase tracking-wide text-slate-600">
                  <span className="truncate">
                    {task.level} · {task.role.replaceAll("_", " ")}
                  </span>
                  <span className="shrink-0">{task.status.replaceAll("_", " ")}</span>
                </div>
              </div>
            ),
          },
          style: {
            width: 200,
            padding: 8,
            borderRadius: 8,
            background: statusColor[task.status] ?? "#fff",
            border: task.id === selected ? "2px solid #0f172a" : "1px solid #94a3b8",
          },
          // Columns run left to right, so edges leave on the right and arrive on the left.
          sourcePosition: Position.Right,
          targetPosition: Position.Left,
          draggable: false,
          connectable: false,
        };
      });
    const edges: Edge[] = tasks.flatMap((task) =>
      task.dependsOn
        .filter((from) => ids.has(from))
        .map((from) => ({
          id: `${from}->${task.id}`,
          source: from,
          target: task.id,
          markerEnd: { type: MarkerType.ArrowClosed },
          animated: task.status === "running",
        })),
    );
    return { nodes, edges };
  }, [tasks, selected]);

  return (
    <div className="h-[420px] w-full rounded-md border border-slate-200" data-testid="dag">
      <ReactFlow
        // React Flow fits the view once, on mount: a planner's DAG starts as one node and grows, so
        // the view is fitted again (remounted) whenever the number of nodes changes.
        key={nodes.length}
        nodes={nodes}
        edges={edges}
        fitView
        fitViewOptions={{ padding: 0.2, maxZoom: 1 }}
        nodesDraggable={false}
        nodesConnectable={false}
        onNodeClick={(_event, node) => onSelect(node.id)}
        proOptions={{ hideAttribution: true }}
      >
        <Background gap={16} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}

"use client";
// Task detail (CTRL-001): status and controls, then one timeline of everything that happened to the
// task — its events (dispatches, attempts, pauses, escalations), model calls with tokens and cost,
// tool calls with the policy decision that allowed or refused them, approvals.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { eventLabel, formatMinor, formatTime } from "./format";
import { TaskStatus } from "./task-status";

type TimelineItem = {
  at: Date;
  key: string;
  kind: "event" | "model" | "tool" | "approval";
  title: string;
  detail: string;
  tone?: "red" | "green" | "amber";
};

function payloadSummary(type: string, payload: Record<string, unknown>): string {
  switch (type) {
    case "orchestration.task_dispatched":
      return `run ${String(payload.runId)} · attempt ${String(payload.attempt)}`;
    case "orchestration.task_started":
      return `by ${String(payload.worker)}`;
    case "orchestration.task_attempt_failed":
      return `${String(payload.cause)}: ${String(payload.error)}${payload.nextAttemptAt ? ` · retry at ${new Date(String(payload.nextAttemptAt)).toLocaleTimeString()}` : ""}`;
    case "orchestration.task_escalated":
      return `${String(payload.reason)}`;
    case "orchestration.task_waiting_budget":
      return `needs ${String(payload.estimatedCostMinor)}, ${String(payload.availableMinor)} available (${String(payload.currency)} minor)`;
    case "orchestration.task_succeeded":
      return `${String(payload.summary).slice(0, 160)}`;
    default:
      return typeof payload.reason === "string" ? payload.reason : "";
  }
}

export function TaskPanel({
  ventureId,
  taskId,
  currency,
  canControl,
}: {
  ventureId: string;
  taskId: string;
  currency: string;
  canControl: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const task = useQuery({
    ...trpc.orchestration.getTask.queryOptions({ ventureId, taskId }),
    refetchInterval: 1_000,
  });
  const activity = useQuery({
    ...trpc.agents.taskActivity.queryOptions({ ventureId, taskId }),
    refetchInterval: 1_000,
  });
  const [inputs, setInputs] = useState<string | null>(null);
  const [inputsError, setInputsError] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries();
  const pause = useMutation(trpc.orchestration.pauseTask.mutationOptions({ onSuccess: refresh }));
  const resume = useMutation(trpc.orchestration.resumeTask.mutationOptions({ onSuccess: refresh }));
  const cancel = useMutation(trpc.orchestration.cancelTask.mutationOptions({ onSuccess: refresh }));
  const retry = useMutation(trpc.orchestration.retryTask.mutationOptions({ onSuccess: refresh }));
  const edit = useMutation(trpc.orchestration.editTask.mutationOptions({ onSuccess: refresh }));
  const error = pause.error ?? resume.error ?? cancel.error ?? retry.error ?? edit.error;

  if (task.error) return <p className="text-sm text-red-600">{task.error.message}</p>;
  if (!task.data) return <p className="text-sm text-slate-500">Loading task…</p>;
  const t = task.data;
  const finished = t.status === "succeeded" || t.status === "cancelled";

  const timeline: TimelineItem[] = [
    ...t.history.map((h) => ({
      at: h.occurredAt,
      key: `e${h.version}`,
      kind: "event" as const,
      title: eventLabel(h.type),
      detail: payloadSummary(h.type, h.payload),
      tone:
        h.type.endsWith("escalated") || h.type.endsWith("attempt_failed")
          ? ("red" as const)
          : h.type.endsWith("succeeded")
            ? ("green" as const)
            : undefined,
    })),
    ...(activity.data?.modelCalls ?? []).map((c) => ({
      at: c.startedAt,
      key: c.id,
      kind: "model" as const,
      title: `model call · ${c.provider}/${c.model}`,
      detail:
        c.status === "refused"
          ? `refused before it started: ${c.error ?? ""}`
          : `${c.status} · ${c.inputTokens} in / ${c.outputTokens} out · ${formatMinor(c.costMinor, currency)} (held ${formatMinor(c.maxCostMinor, currency)})${c.error ? ` · ${c.error}` : ""}`,
      tone: c.status === "ok" ? undefined : ("red" as const),
    })),
    ...(activity.data?.toolCalls ?? []).map((c) => ({
      at: c.createdAt,
      key: c.id,
      kind: "tool" as const,
      title: `tool · ${c.tool} · ${c.outcome}${c.reason ? ` (${c.reason.replaceAll("_", " ")})` : ""}`,
      detail: `${c.summary}${c.decision ? ` · policy ${c.decision.outcome}${c.decision.determiningPolicies.length ? `: ${c.decision.determiningPolicies.join(", ")}` : ""}` : ""}`,
      tone: c.outcome === "denied" || c.outcome === "failed" ? ("red" as const) : undefined,
    })),
    ...(activity.data?.approvals ?? []).map((a) => ({
      at: a.createdAt,
      key: a.id,
      kind: "approval" as const,
      title: `approval · ${a.tool} · ${a.status}`,
      detail: a.decidedBy ? `decided by ${a.decidedBy}` : `waiting until ${a.expiresAt.toLocaleString()}`,
      tone: a.status === "pending" ? ("amber" as const) : undefined,
    })),
  ].sort((a, b) => a.at.getTime() - b.at.getTime());

  const ids = { ventureId, taskId };
  return (
    <Card data-testid="task-panel">
      <CardHeader
        title={t.title}
        description={`${t.level} · ${t.role.replaceAll("_", " ")} · ${t.key}`}
        action={<TaskStatus status={t.status} />}
      />
      <dl className="grid grid-cols-2 gap-x-4 gap-y-2 px-5 py-3 text-sm sm:grid-cols-4">
        <div>
          <dt className="text-slate-500">Attempts</dt>
          <dd className="font-medium">
            {t.attempt} of {t.maxAttempts}
          </dd>
        </div>
        <div>
          <dt className="text-slate-500">Cost</dt>
          <dd className="font-medium" data-testid="task-cost">
            {formatMinor(activity.data?.totals.costMinor ?? t.costMinor, currency)}
          </dd>
        </div>
        <div>
          <dt className="text-slate-500">Estimate</dt>
          <dd className="font-medium">{formatMinor(t.estimatedCostMinor, currency)}</dd>
        </div>
        <div>
          <dt className="text-slate-500">Tokens</dt>
          <dd className="font-medium">
            {activity.data
              ? `${activity.data.totals.inputTokens} / ${activity.data.totals.outputTokens}`
              : "—"}
          </dd>
        </div>
      </dl>
      {t.summary ? (
        <p className="whitespace-pre-wrap border-t border-slate-100 px-5 py-3 text-sm text-slate-700">
          {t.summary}
        </p>
      ) : null}
      {t.lastError && !finished ? (
        <p className="border-t border-slate-100 px-5 py-3 text-sm text-red-700">Last error: {t.lastError}</p>
      ) : null}
      {canControl && !finished ? (
        <div className="flex flex-wrap gap-2 border-t border-slate-100 px-5 py-3">
          {t.status === "paused" ? (
            <Button variant="secondary" onClick={() => resume.mutate(ids)} disabled={resume.isPending}>
              Resume
            </Button>
          ) : (
            <Button variant="secondary" onClick={() => pause.mutate(ids)} disabled={pause.isPending}>
              Pause
            </Button>
          )}
          {t.status === "escalated" ? (
            <Button onClick={() => retry.mutate({ ...ids, extraAttempts: 1 })} disabled={retry.isPending}>
              Retry
            </Button>
          ) : null}
          {t.status !== "running" && t.status !== "dispatched" ? (
            <Button variant="secondary" onClick={() => setInputs(JSON.stringify(t.inputs, null, 2))}>
              Edit inputs
            </Button>
          ) : null}
          <Button variant="danger" onClick={() => cancel.mutate(ids)} disabled={cancel.isPending}>
            Cancel
          </Button>
        </div>
      ) : null}
      {inputs !== null ? (
        <div className="space-y-2 border-t border-slate-100 px-5 py-3">
          <textarea
            className="block h-32 w-full rounded-md border border-slate-300 p-2 font-mono text-xs"
            value={inputs}
            onChange={(e) => setInputs(e.target.value)}
            aria-label="Task inputs (JSON)"
          />
          {inputsError ? <p className="text-xs text-red-600">{inputsError}</p> : null}
          <div className="flex gap-2">
            <Button
              onClick={() => {
                try {
                  const parsed = JSON.parse(inputs) as Record<string, unknown>;
                  setInputsError(null);
                  edit.mutate({ ...ids, changes: { inputs: parsed } }, { onSuccess: () => setInputs(null) });
                } catch {
                  setInputsError("Not valid JSON");
                }
              }}
            >
              Save
            </Button>
            <Button variant="secondary" onClick={() => setInputs(null)}>
              Close
            </Button>
          </div>
        </div>
      ) : null}
      {error ? (
        <p role="alert" className="border-t border-slate-100 px-5 py-2 text-sm text-red-600">
          {error.message}
        </p>
      ) : null}
      <ol className="divide-y divide-slate-100 border-t border-slate-100" data-testid="task-timeline">
        {timeline.map((item) => (
          <li key={item.key} className="flex gap-3 px-5 py-2 text-sm">
            <span className="w-20 shrink-0 font-mono text-xs text-slate-500">{formatTime(item.at)}</span>
            <span className="w-16 shrink-0">
              <Badge tone={item.tone ?? (item.kind === "event" ? "neutral" : "blue")}>{item.kind}</Badge>
            </span>
            <span className="min-w-0">
              <span className="font-medium text-slate-900">{item.title}</span>
              {item.detail ? <span className="block truncate text-slate-600">{item.detail}</span> : null}
            </span>
          </li>
        ))}
      </ol>
    </Card>
  );
}

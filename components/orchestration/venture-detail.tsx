"use client";
// The venture page (ORCH-001, CTRL-001, CTRL-002): lifecycle and controls, agent spend, a goal or
// task submission, the live DAG of its workstreams (polled every second) and task detail.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { ScaleUpPlaybookPanel } from "@/components/playbooks/scale-up-playbook-panel";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { SandboxCheckout } from "@/components/treasury/sandbox-checkout";
import { VentureFunding } from "@/components/treasury/venture-funding";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { Field, Textarea } from "@/components/ui/field";
import { DagView } from "./dag-view";
import { formatMinor } from "./format";
import { TaskPanel } from "./task-panel";
import { TaskStatus } from "./task-status";
import { VentureStatus } from "./venture-status";

const stages = ["idea", "validating", "building", "launched", "scaling", "sunset"] as const;

function fieldErrors(error: unknown): Record<string, string> {
  if (error instanceof TRPCClientError) {
    const fields = (error.data as { fields?: Record<string, string> } | undefined)?.fields;
    if (fields) return fields;
  }
  return {};
}

export function VentureDetail({ ventureId }: { ventureId: string }) {
  const portfolio = useCurrentPortfolio();
  const canAct = portfolio.role === "founder" || portfolio.role === "admin";
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const venture = useQuery({
    ...trpc.orchestration.getVenture.queryOptions({ ventureId }),
    refetchInterval: (query) => (query.state.data?.status === "provisioning" ? 500 : 5_000),
  });
  const dag = useQuery({
    ...trpc.orchestration.getVentureDag.queryOptions({ ventureId }),
    refetchInterval: 1_000,
  });
  const usage = useQuery({ ...trpc.agents.ventureUsage.queryOptions({ ventureId }), refetchInterval: 2_000 });
  const [workstreamId, setWorkstreamId] = useState<string | null>(null);
  const [taskId, setTaskId] = useState<string | null>(null);
  // null until edited: a venture created with a goal and no work yet offers that goal to plan.
  const [goal, setGoal] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries();
  const submitGoal = useMutation(
    trpc.orchestration.submitGoal.mutationOptions({
      onSuccess: async (result) => {
        setGoal("");
        setWorkstreamId(result.workstreamId);
        setTaskId(result.planTaskId);
        await refresh();
      },
    }),
  );
  const stage = useMutation(trpc.orchestration.changeVentureStage.mutationOptions({ onSuccess: refresh }));
  const pauseVenture = useMutation(trpc.orchestration.pauseVenture.mutationOptions({ onSuccess: refresh }));
  const resumeVenture = useMutation(trpc.orchestration.resumeVenture.mutationOptions({ onSuccess: refresh }));
  const pauseWorkstream = useMutation(
    trpc.orchestration.pauseWorkstream.mutationOptions({ onSuccess: refresh }),
  );
  const resumeWorkstream = useMutation(
    trpc.orchestration.resumeWorkstream.mutationOptions({ onSuccess: refresh }),
  );
  const cancelWorkstream = useMutation(
    trpc.orchestration.cancelWorkstream.mutationOptions({ onSuccess: refresh }),
  );
  const controlError =
    stage.error ??
    pauseVenture.error ??
    resumeVenture.error ??
    pauseWorkstream.error ??
    resumeWorkstream.error ??
    cancelWorkstream.error;

  if (venture.error) return <p className="text-sm text-red-600">{venture.error.message}</p>;
  if (!venture.data) return <p className="text-sm text-slate-500">Loading…</p>;
  const v = venture.data;
  const workstreams = dag.data?.workstreams ?? [];
  const current = workstreams.find((w) => w.id === workstreamId) ?? workstreams[0] ?? null;
  const tasks = (dag.data?.tasks ?? []).filter((t) => t.workstreamId === current?.id);
  const nextStage = stages[stages.indexOf(v.stage as (typeof stages)[number]) + 1];
  const goalErrors = fieldErrors(submitGoal.error);
  const goalText = goal ?? (dag.data && workstreams.length === 0 ? (v.goal ?? "") : "");

  function onSubmitGoal(event: FormEvent) {
    event.preventDefault();
    submitGoal.mutate({ ventureId, goal: goalText });
  }

  return (
    <div className="space-y-6">
      <Link href="/ventures" className="text-sm text-slate-500 hover:text-slate-900">
        ← Ventures
      </Link>
      <Card>
        <CardHeader
          title={v.name}
          description={v.goal ?? "No goal yet"}
          action={
            <div className="flex items-center gap-2">
              <Link
                href={`/ventures/${ventureId}/artifacts`}
                className="text-sm font-medium text-sky-700 hover:underline"
                data-testid="venture-artifacts-link"
              >
                Artifacts
              </Link>
              {v.paused ? <Badge tone="amber">Paused</Badge> : null}
              <VentureStatus status={v.status} />
            </div>
          }
        />
        <dl className="grid grid-cols-2 gap-x-6 gap-y-3 px-5 py-4 text-sm sm:grid-cols-5">
          <div>
            <dt className="text-slate-500">Stage</dt>
            <dd className="font-medium capitalize" data-testid="venture-stage">
              {v.stage}
            </dd>
          </div>
          <div>
            <dt className="text-slate-500">Agent spend</dt>
            <dd className="font-medium" data-testid="venture-spend">
              {usage.data ? formatMinor(usage.data.costMinor, v.currency) : "—"}
            </dd>
          </div>
          <div>
            <dt className="text-slate-500">Tokens</dt>
            <dd className="font-medium">
              {usage.data ? `${usage.data.inputTokens + usage.data.outputTokens}` : "—"}
            </dd>
          </div>
          <div>
            <dt className="text-slate-500">Concurrency</dt>
            <dd className="font-medium">
              {v.concurrencyLimit} at once · weight {v.weight}
            </dd>
          </div>
          <div>
            <dt className="text-slate-500">Id</dt>
            <dd className="font-mono text-xs">{v.id}</dd>
          </div>
        </dl>
        {canAct ? (
          <div className="flex flex-wrap gap-2 border-t border-slate-100 px-5 py-3">
            {nextStage && v.stage !== "sunset" ? (
              <Button
                variant="secondary"
                onClick={() => stage.mutate({ ventureId, stage: nextStage })}
                disabled={stage.isPending}
              >
                Move to {nextStage}
              </Button>
            ) : null}
            {v.paused ? (
              <Button variant="secondary" onClick={() => resumeVenture.mutate({ ventureId })}>
                Resume venture
              </Button>
            ) : (
              <Button variant="secondary" onClick={() => pauseVenture.mutate({ ventureId })}>
                Pause venture
              </Button>
            )}
            {controlError ? (
              <p role="alert" className="self-center text-sm text-red-600">
                {controlError.message}
              </p>
            ) : null}
          </div>
        ) : null}
      </Card>

      <VentureFunding ventureId={ventureId} currency={v.currency} />
      <ScaleUpPlaybookPanel ventureId={ventureId} />
      <SandboxCheckout ventureId={ventureId} currency={v.currency} />

      {canAct ? (
        <Card>
          <CardHeader
            title="Submit a goal"
            description="The L1 planner turns it into a DAG of tasks for the specialist agents."
          />
          <form onSubmit={onSubmitGoal} className="flex flex-col gap-3 p-5 sm:flex-row sm:items-start">
            <div className="flex-1">
              <Field label="Goal" error={goalErrors.goal}>
                <Textarea
                  name="goal"
                  value={goalText}
                  onChange={(e) => setGoal(e.target.value)}
                  placeholder="Sell 100 solar kits to schools this quarter"
                  aria-invalid={goalErrors.goal ? true : undefined}
                />
              </Field>
            </div>
            <Button type="submit" disabled={submitGoal.isPending} className="sm:mt-6">
              {submitGoal.isPending ? "Submitting…" : "Submit goal"}
            </Button>
          </form>
          {submitGoal.error && Object.keys(goalErrors).length === 0 ? (
            <p role="alert" className="px-5 pb-4 text-sm text-red-600">
              {submitGoal.error.message}
            </p>
          ) : null}
        </Card>
      ) : null}

      <div className="grid gap-6 lg:grid-cols-3">
        <Card className="lg:col-span-2">
          <CardHeader
            title="Work"
            description={
              current
                ? `${current.title} · ${current.status}${current.paused ? " · paused" : ""}`
                : "No workstreams yet"
            }
            action={
              current && canAct && current.status === "active" ? (
                <div className="flex gap-2">
                  {current.paused ? (
                    <Button
                      variant="secondary"
                      onClick={() => resumeWorkstream.mutate({ ventureId, workstreamId: current.id })}
                    >
                      Resume
                    </Button>
                  ) : (
                    <Button
                      variant="secondary"
                      onClick={() => pauseWorkstream.mutate({ ventureId, workstreamId: current.id })}
                    >
                      Pause
                    </Button>
                  )}
                  <Button
                    variant="danger"
                    onClick={() => cancelWorkstream.mutate({ ventureId, workstreamId: current.id })}
                  >
                    Cancel
                  </Button>
                </div>
              ) : null
            }
          />
          {workstreams.length > 1 ? (
            <div className="flex flex-wrap gap-2 px-5 pt-3">
              {workstreams.map((w) => (
                <button
                  type="button"
                  key={w.id}
                  onClick={() => setWorkstreamId(w.id)}
                  className={`rounded-full px-3 py-1 text-xs ${w.id === current?.id ? "bg-slate-900 text-white" : "bg-slate-100 text-slate-700 hover:bg-slate-200"}`}
                >
                  {w.title.slice(0, 40)}
                </button>
              ))}
            </div>
          ) : null}
          <div className="p-5">
            {tasks.length > 0 ? (
              <DagView tasks={tasks} selected={taskId} onSelect={setTaskId} />
            ) : (
              <p className="text-sm text-slate-500">Submit a goal to see the plan here.</p>
            )}
          </div>
          {tasks.length > 0 ? (
            <table className="w-full border-t border-slate-100 text-sm" data-testid="task-table">
              <thead className="text-left text-xs uppercase tracking-wide text-slate-500">
                <tr>
                  <th className="px-5 py-2">Task</th>
                  <th className="px-2 py-2">Role</th>
                  <th className="px-2 py-2">Status</th>
                  <th className="px-5 py-2 text-right">Cost</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {tasks.map((t) => (
                  <tr
                    key={t.id}
                    className={`cursor-pointer hover:bg-slate-50 ${t.id === taskId ? "bg-slate-50" : ""}`}
                    onClick={() => setTaskId(t.id)}
                  >
                    <td className="px-5 py-2 font-medium text-slate-900">{t.title}</td>
                    <td className="px-2 py-2 text-slate-600">{t.role.replaceAll("_", " ")}</td>
                    <td className="px-2 py-2">
                      <TaskStatus status={t.status} />
                    </td>
                    <td className="px-5 py-2 text-right font-mono text-xs">
                      {formatMinor(t.costMinor, v.currency)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </Card>
        <div>
          {taskId ? (
            <TaskPanel ventureId={ventureId} taskId={taskId} currency={v.currency} canControl={canAct} />
          ) : (
            <Card>
              <CardHeader title="Task detail" description="Select a task in the DAG to follow it." />
            </Card>
          )}
        </div>
      </div>
    </div>
  );
}

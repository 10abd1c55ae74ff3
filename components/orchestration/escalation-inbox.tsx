"use client";
// The founder's inbox (ORCH-004, AGENT-002, CTRL-006): tasks that failed for good, with every
// attempt and why, to retry, edit or cancel; and tool calls waiting for a person's approval of
// their exact arguments.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { useTRPC } from "@/components/trpc/react";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { eventLabel, formatTime } from "./format";

export function EscalationInbox() {
  const portfolio = useCurrentPortfolio();
  const canAct = portfolio.role === "founder" || portfolio.role === "admin";
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const escalations = useQuery({
    ...trpc.orchestration.listEscalations.queryOptions({ portfolioId: portfolio.id }),
    refetchInterval: 2_000,
  });
  const approvals = useQuery({
    ...trpc.agents.listToolApprovals.queryOptions({ portfolioId: portfolio.id }),
    refetchInterval: 2_000,
  });
  const refresh = () => queryClient.invalidateQueries();
  const retry = useMutation(trpc.orchestration.retryTask.mutationOptions({ onSuccess: refresh }));
  const cancel = useMutation(trpc.orchestration.cancelTask.mutationOptions({ onSuccess: refresh }));
  const decide = useMutation(trpc.agents.decideToolApproval.mutationOptions({ onSuccess: refresh }));
  const error = retry.error ?? cancel.error ?? decide.error;

  return (
    <div className="space-y-6">
      {error ? (
        <p role="alert" className="text-sm text-red-600">
          {error.message}
        </p>
      ) : null}
      <Card>
        <CardHeader
          title="Escalations"
          description="Tasks whose retries ran out: retry, edit on the venture page, or cancel."
        />
        {escalations.isLoading ? (
          <p className="px-5 py-6 text-sm text-slate-500">Loading…</p>
        ) : escalations.data && escalations.data.length > 0 ? (
          <ul className="divide-y divide-slate-100" data-testid="escalation-list">
            {escalations.data.map((task) => (
              <li key={task.id} className="space-y-2 px-5 py-4" data-testid="escalation">
                <div className="flex items-start justify-between gap-4">
                  <div>
                    <Link
                      href={`/ventures/${task.ventureId}`}
                      className="font-medium text-slate-900 hover:underline"
                    >
                      {task.title}
                    </Link>
                    <p className="text-sm text-slate-500">
                      {task.ventureName} · {task.role.replaceAll("_", " ")} · {task.attempt} attempt
                      {task.attempt === 1 ? "" : "s"}
                    </p>
                    {task.lastError ? <p className="mt-1 text-sm text-red-700">{task.lastError}</p> : null}
                  </div>
                  {canAct ? (
                    <div className="flex shrink-0 gap-2">
                      <Button
                        onClick={() =>
                          retry.mutate({ ventureId: task.ventureId, taskId: task.id, extraAttempts: 1 })
                        }
                      >
                        Retry
                      </Button>
                      <Link href={`/ventures/${task.ventureId}`}>
                        <Button variant="secondary">Edit</Button>
                      </Link>
                      <Button
                        variant="danger"
                        onClick={() => cancel.mutate({ ventureId: task.ventureId, taskId: task.id })}
                      >
                        Cancel
                      </Button>
                    </div>
                  ) : null}
                </div>
                <ol className="space-y-0.5 border-l-2 border-slate-200 pl-3 text-xs text-slate-600">
                  {task.history.map((h) => (
                    <li key={h.version}>
                      <span className="font-mono text-slate-400">{formatTime(h.occurredAt)}</span>{" "}
                      {eventLabel(h.type)}
                      {typeof h.payload.error === "string"
                        ? `: ${h.payload.error}`
                        : typeof h.payload.reason === "string"
                          ? `: ${h.payload.reason}`
                          : ""}
                    </li>
                  ))}
                </ol>
              </li>
            ))}
          </ul>
        ) : (
          <p className="px-5 py-6 text-sm text-slate-500">Nothing escalated. Agents are coping.</p>
        )}
      </Card>
      <Card>
        <CardHeader
          title="Tool calls waiting for approval"
          description="Each approval covers these exact arguments only, until it expires."
        />
        {approvals.data && approvals.data.length > 0 ? (
          <ul className="divide-y divide-slate-100" data-testid="approval-list">
            {approvals.data.map((a) => (
              <li key={a.id} className="flex items-start justify-between gap-4 px-5 py-4">
                <div className="min-w-0">
                  <p className="font-medium text-slate-900">{a.tool}</p>
                  <pre className="mt-1 max-w-xl overflow-x-auto rounded bg-slate-50 p-2 text-xs text-slate-700">
                    {JSON.stringify(a.args, null, 2)}
                  </pre>
                  <p className="mt-1 text-xs text-slate-500">
                    Expires {a.expiresAt.toLocaleString()} · sha256 {a.argsHash.slice(0, 12)}…
                  </p>
                </div>
                {canAct ? (
                  <div className="flex shrink-0 gap-2">
                    <Button
                      onClick={() =>
                        decide.mutate({ ventureId: a.ventureId, approvalId: a.id, decision: "approved" })
                      }
                    >
                      Approve
                    </Button>
                    <Button
                      variant="danger"
                      onClick={() =>
                        decide.mutate({ ventureId: a.ventureId, approvalId: a.id, decision: "denied" })
                      }
                    >
                      Deny
                    </Button>
                  </div>
                ) : null}
              </li>
            ))}
          </ul>
        ) : (
          <p className="px-5 py-6 text-sm text-slate-500">No tool call is waiting.</p>
        )}
      </Card>
    </div>
  );
}

"use client";
// /control: the kill-switch state and, for the current (or last) pause, each worker instance's
// confirmation that it stopped and how long that took; live instances that have not confirmed yet
// are listed too, so a stuck worker is visible.
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";
import { Card, CardHeader } from "@/components/ui/card";
import { controlPollMs, formatTime, useControlState } from "./use-control-state";

function terminatedText(terminated: Record<string, number>): string {
  const parts = Object.entries(terminated)
    .filter(([, n]) => n > 0)
    .map(([kind, n]) => `${n} ${kind}`);
  return parts.length > 0 ? parts.join(", ") : "nothing in flight";
}

export function ControlPanel() {
  const trpc = useTRPC();
  const control = useControlState();
  const confirmations = useQuery({
    ...trpc.control.listConfirmations.queryOptions(),
    refetchInterval: controlPollMs,
  });
  const state = control.data?.state;
  const list = confirmations.data;
  const slowest = list?.confirmations.reduce((max, c) => Math.max(max, c.afterPauseMs), 0) ?? 0;

  return (
    <div className="space-y-6">
      <Card>
        <CardHeader
          title="Kill-switch"
          description="One switch for everything: dispatch, agents, their processes, tool calls and payments."
          action={
            state ? (
              state.state === "paused" ? (
                <Badge tone="red">
                  <span className="h-1.5 w-1.5 rounded-full bg-red-500" /> Paused
                </Badge>
              ) : (
                <Badge tone="green">
                  <span className="h-1.5 w-1.5 rounded-full bg-emerald-500" /> Running
                </Badge>
              )
            ) : null
          }
        />
        {state ? (
          <dl className="grid gap-x-8 gap-y-3 px-5 py-4 text-sm sm:grid-cols-4" data-testid="control-state">
            <div>
              <dt className="text-slate-500">{state.state === "paused" ? "Paused by" : "Last changed by"}</dt>
              <dd className="font-medium">{state.by.name}</dd>
            </div>
            <div>
              <dt className="text-slate-500">Since</dt>
              <dd className="font-medium">
                <time dateTime={state.since.toISOString()}>{formatTime(state.since)}</time>
              </dd>
            </div>
            <div className="sm:col-span-2">
              <dt className="text-slate-500">Reason</dt>
              <dd className="font-medium">{state.reason}</dd>
            </div>
            <div>
              <dt className="text-slate-500">Epoch</dt>
              <dd className="font-mono">{state.epoch}</dd>
            </div>
          </dl>
        ) : (
          <p className="px-5 py-4 text-sm text-slate-500">
            {control.isError ? "State unavailable" : "Loading…"}
          </p>
        )}
      </Card>

      <Card>
        <CardHeader
          title="Worker confirmations"
          description={
            list?.epoch == null
              ? "Each worker instance confirms here when it has stopped for a pause."
              : `Pause epoch ${list.epoch}: ${list.confirmations.length} confirmed${
                  list.pending.length > 0 ? `, ${list.pending.length} not yet` : ""
                }${list.confirmations.length > 0 ? ` · slowest ${slowest} ms after the pause` : ""}`
          }
        />
        {!list ? (
          <p className="px-5 py-8 text-sm text-slate-500">Loading…</p>
        ) : list.epoch === null ? (
          <p className="px-5 py-8 text-sm text-slate-500">Nothing has been paused yet.</p>
        ) : (
          <table className="w-full text-left text-sm" data-testid="confirmations">
            <thead className="border-b border-slate-100 text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th className="px-5 py-2 font-medium">Worker</th>
                <th className="px-5 py-2 font-medium">Instance</th>
                <th className="px-5 py-2 text-right font-medium">After pause</th>
                <th className="px-5 py-2 text-right font-medium">Took</th>
                <th className="px-5 py-2 font-medium">Stopped</th>
                <th className="px-5 py-2 font-medium">Confirmed at</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {list.confirmations.map((c) => (
                <tr key={c.instanceId} data-testid="confirmation-row">
                  <td className="px-5 py-2.5 font-medium">{c.worker}</td>
                  <td className="px-5 py-2.5 font-mono text-xs text-slate-500">
                    {c.instanceId}
                    <span className="block">
                      pid {c.pid} · {c.host}
                    </span>
                  </td>
                  <td className="px-5 py-2.5 text-right font-mono">{c.afterPauseMs} ms</td>
                  <td className="px-5 py-2.5 text-right font-mono">{c.tookMs} ms</td>
                  <td className="px-5 py-2.5 text-slate-600">{terminatedText(c.terminated)}</td>
                  <td className="px-5 py-2.5 text-slate-600">
                    <time dateTime={c.stoppedAt.toISOString()}>{formatTime(c.stoppedAt)}</time>
                  </td>
                </tr>
              ))}
              {list.pending.map((p) => (
                <tr key={p.instanceId} className="bg-amber-50" data-testid="pending-row">
                  <td className="px-5 py-2.5 font-medium">{p.worker}</td>
                  <td className="px-5 py-2.5 font-mono text-xs text-slate-500">{p.instanceId}</td>
                  <td className="px-5 py-2.5 text-right" colSpan={4}>
                    <Badge tone="amber">not confirmed yet · last heartbeat {p.lastBeatAgeMs} ms ago</Badge>
                  </td>
                </tr>
              ))}
              {list.confirmations.length === 0 && list.pending.length === 0 ? (
                <tr>
                  <td className="px-5 py-6 text-slate-500" colSpan={6}>
                    No worker instance was running for this pause.
                  </td>
                </tr>
              ) : null}
            </tbody>
          </table>
        )}
      </Card>
    </div>
  );
}

"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { useEffect, useState } from "react";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";

const scopes = [
  { id: "treasury", label: "Treasury", help: "Money intents: limits, categories, counterparties, approvals" },
  { id: "tools", label: "Tools", help: "Which agent roles may call which tools" },
  { id: "publishing", label: "Publishing", help: "What artifacts may be published" },
] as const;
type Scope = (typeof scopes)[number]["id"];

type Problem = { message: string; line: number | null; column: number | null };

function problemsOf(error: unknown): Problem[] {
  if (!(error instanceof TRPCClientError)) return [];
  const data = error.data as { problems?: Problem[]; fields?: Record<string, string> } | undefined;
  if (data?.problems?.length) return data.problems;
  return data?.fields
    ? Object.entries(data.fields).map(([field, message]) => ({
        message: `${field}: ${message}`,
        line: null,
        column: null,
      }))
    : [];
}

export function PolicyEditor() {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [scope, setScope] = useState<Scope>("treasury");
  const versions = useQuery(trpc.policy.listVersions.queryOptions({ portfolioId: portfolio.id, scope }));
  const active = versions.data?.find((v) => v.active) ?? null;
  const [text, setText] = useState("");
  const [note, setNote] = useState("");
  useEffect(() => {
    setText(active?.text ?? "");
  }, [active?.text]);
  const publish = useMutation(
    trpc.policy.publish.mutationOptions({
      onSuccess: async () => {
        setNote("");
        await queryClient.invalidateQueries({ queryKey: trpc.policy.listVersions.queryKey() });
      },
    }),
  );
  const canPublish = portfolio.role === "admin";
  const problems = problemsOf(publish.error);
  const dirty = text !== (active?.text ?? "");

  return (
    <div className="space-y-6">
      <div className="flex items-center gap-2" role="tablist">
        {scopes.map((s) => (
          <button
            key={s.id}
            type="button"
            role="tab"
            aria-selected={scope === s.id}
            onClick={() => {
              setScope(s.id);
              publish.reset();
            }}
            className={`rounded-md px-3 py-1.5 text-sm font-medium ${scope === s.id ? "bg-slate-900 text-white" : "text-slate-600 hover:bg-slate-200"}`}
          >
            {s.label}
          </button>
        ))}
      </div>
      <div className="grid gap-6 lg:grid-cols-3">
        <Card className="lg:col-span-2">
          <CardHeader
            title={`${scopes.find((s) => s.id === scope)!.label} policy`}
            description={scopes.find((s) => s.id === scope)!.help}
            action={
              active ? (
                <Badge tone="green">v{active.number} active</Badge>
              ) : (
                <Badge tone="red">no policy: everything denied</Badge>
              )
            }
          />
          <div className="space-y-3 p-5">
            <textarea
              aria-label="Policy text"
              value={text}
              onChange={(e) => setText(e.target.value)}
              readOnly={!canPublish}
              spellCheck={false}
              rows={22}
              className="block w-full rounded-md border border-slate-300 bg-slate-950 p-3 font-mono text-xs leading-5 text-slate-100 focus:outline-none focus:ring-2 focus:ring-slate-500"
            />
            {problems.length > 0 ? (
              <ul role="alert" className="space-y-1 rounded-md bg-red-50 p-3 text-sm text-red-700">
                {problems.map((p, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: problems have no identity of their own
                  <li key={i}>
                    {p.line !== null ? (
                      <span className="font-mono">
                        line {p.line}, column {p.column}:{" "}
                      </span>
                    ) : null}
                    {p.message}
                  </li>
                ))}
              </ul>
            ) : null}
            {publish.data ? (
              <p className="text-sm text-emerald-700">
                {publish.data.changed
                  ? `Published version ${publish.data.versionNumber}; it is active now.`
                  : "No change: that text is already active."}
              </p>
            ) : null}
            {canPublish ? (
              <div className="flex items-center gap-3">
                <input
                  aria-label="Change note"
                  value={note}
                  onChange={(e) => setNote(e.target.value)}
                  placeholder="Why this change (recorded with the version)"
                  className="flex-1 rounded-md border border-slate-300 px-3 py-2 text-sm"
                />
                <Button
                  disabled={!dirty || publish.isPending}
                  onClick={() =>
                    publish.mutate({ portfolioId: portfolio.id, scope, text, note: note || null })
                  }
                >
                  {publish.isPending ? "Publishing…" : "Publish version"}
                </Button>
              </div>
            ) : (
              <p className="text-sm text-slate-500">
                Only an admin can publish policy changes; every change is an audited event.
              </p>
            )}
          </div>
        </Card>
        <Card>
          <CardHeader title="History" description="Every version is kept; the active one decides." />
          <ul className="divide-y divide-slate-100 text-sm" data-testid="policy-versions">
            {(versions.data ?? []).map((v) => (
              <li key={v.number} className="px-5 py-3">
                <div className="flex items-center justify-between">
                  <span className="font-medium">Version {v.number}</span>
                  {v.active ? <Badge tone="green">active</Badge> : null}
                </div>
                <p className="text-xs text-slate-500">
                  {v.createdAt.toLocaleString()} · {v.createdBy.type} {v.createdBy.id.slice(0, 12)}
                </p>
                {v.note ? <p className="mt-1 text-slate-700">{v.note}</p> : null}
                <p className="mt-1 font-mono text-[10px] text-slate-400">{v.versionHash.slice(0, 16)}…</p>
              </li>
            ))}
          </ul>
        </Card>
      </div>
    </div>
  );
}

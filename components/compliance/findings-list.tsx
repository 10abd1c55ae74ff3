"use client";
// Findings visible in this portfolio (its own and the deployment-wide ones, e.g. the audit trail).
import { useQuery } from "@tanstack/react-query";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";
import { Card, CardHeader } from "@/components/ui/card";
import { formatTime } from "./format";

const severityTone = { critical: "red", high: "amber", medium: "blue", low: "neutral" } as const;

export function FindingsList() {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const findings = useQuery({
    ...trpc.compliance.listFindings.queryOptions({ portfolioId: portfolio.id }),
    refetchInterval: 15_000,
  });
  const open = findings.data?.filter((f) => f.status === "open").length ?? 0;
  return (
    <Card>
      <CardHeader title="Findings" description={findings.data ? `${open} open` : undefined} />
      {findings.error ? (
        <p role="alert" className="px-5 py-4 text-sm text-red-600">
          {findings.error.message}
        </p>
      ) : !findings.data ? (
        <p className="px-5 py-6 text-sm text-slate-500">Loading…</p>
      ) : findings.data.length === 0 ? (
        <p className="px-5 py-6 text-sm text-slate-500">No findings.</p>
      ) : (
        <ul className="divide-y divide-slate-100" data-testid="findings">
          {findings.data.map((f) => (
            <li key={f.id} className="space-y-1 px-5 py-3.5" data-testid="finding-row">
              <div className="flex flex-wrap items-center gap-2">
                <Badge tone={severityTone[f.severity]}>{f.severity}</Badge>
                <span className="text-sm font-medium text-slate-900">{f.title}</span>
                <span className="ml-auto text-xs text-slate-500">
                  {f.status} · {formatTime(f.createdAt)}
                  {f.owner ? ` · ${f.owner}` : ""}
                </span>
              </div>
              {f.detail ? <p className="text-sm text-slate-600">{f.detail}</p> : null}
              <p className="font-mono text-xs text-slate-400">
                {f.kind} · {f.id}
              </p>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

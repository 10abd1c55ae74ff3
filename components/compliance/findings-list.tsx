"use client";
// Findings visible in this portfolio (its own and the deployment-wide ones, e.g. the audit trail),
// raised by the continuous checks, the scheduled verification and reconciliation. Auditors and
// admins acknowledge them, resolve them with a note, or reopen them.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { Input } from "@/components/ui/field";
import { formatTime } from "./format";

const severityTone = { critical: "red", high: "amber", medium: "blue", low: "neutral" } as const;
const statusTone = { open: "red", acknowledged: "amber", resolved: "green" } as const;

type Status = "open" | "acknowledged" | "resolved";

export function FindingsList() {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canManage = portfolio.role === "auditor" || portfolio.role === "admin";
  const [resolving, setResolving] = useState<string | null>(null);
  const [note, setNote] = useState("");
  const findings = useQuery({
    ...trpc.compliance.listFindings.queryOptions({ portfolioId: portfolio.id }),
    refetchInterval: 15_000,
  });
  const update = useMutation(
    trpc.compliance.updateFinding.mutationOptions({
      onSuccess: async () => {
        setResolving(null);
        setNote("");
        await queryClient.invalidateQueries({ queryKey: trpc.compliance.listFindings.queryKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.compliance.overview.queryKey() });
      },
    }),
  );
  const change = (findingId: string, status: Status, withNote?: string) =>
    update.mutate({ portfolioId: portfolio.id, findingId, status, note: withNote ?? null });
  const open = findings.data?.filter((f) => f.status === "open").length ?? 0;
  return (
    <Card>
      <CardHeader title="Findings" description={findings.data ? `${open} open` : undefined} />
      {update.error ? (
        <p role="alert" className="border-b border-slate-100 px-5 py-3 text-sm text-red-600">
          {update.error.message}
        </p>
      ) : null}
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
            <li
              key={f.id}
              className="space-y-1 px-5 py-3.5"
              data-testid="finding-row"
              data-status={f.status}
              data-kind={f.kind}
            >
              <div className="flex flex-wrap items-center gap-2">
                <Badge tone={severityTone[f.severity]}>{f.severity}</Badge>
                <Badge tone={statusTone[f.status]}>{f.status}</Badge>
                <span className="text-sm font-medium text-slate-900">{f.title}</span>
                <span className="ml-auto text-xs text-slate-500">
                  {formatTime(f.createdAt)}
                  {f.owner ? ` · owner ${f.owner.replace("_", " ")}` : ""}
                </span>
              </div>
              {f.detail ? <p className="text-sm text-slate-600">{f.detail}</p> : null}
              {f.statusNote ? (
                <p className="text-xs text-slate-600">
                  {f.status} by {f.statusChangedBy}
                  {f.updatedAt ? ` on ${formatTime(f.updatedAt)}` : ""}: {f.statusNote}
                </p>
              ) : null}
              <div className="flex flex-wrap items-center gap-2">
                <p className="font-mono text-xs text-slate-400">
                  {f.kind} · {f.id}
                </p>
                {canManage ? (
                  <div className="ml-auto flex items-center gap-2">
                    {resolving === f.id ? (
                      <>
                        <div className="w-72">
                          <Input
                            aria-label="Resolution note"
                            placeholder="Why is it resolved?"
                            value={note}
                            onChange={(e) => setNote(e.target.value)}
                          />
                        </div>
                        <Button
                          disabled={update.isPending || note.trim() === ""}
                          onClick={() => change(f.id, "resolved", note)}
                        >
                          Resolve
                        </Button>
                        <Button variant="secondary" onClick={() => setResolving(null)}>
                          Cancel
                        </Button>
                      </>
                    ) : (
                      <>
                        {f.status === "open" ? (
                          <Button
                            variant="secondary"
                            disabled={update.isPending}
                            onClick={() => change(f.id, "acknowledged")}
                          >
                            Acknowledge
                          </Button>
                        ) : null}
                        {f.status !== "resolved" ? (
                          <Button variant="secondary" onClick={() => setResolving(f.id)}>
                            Resolve…
                          </Button>
                        ) : (
                          <Button
                            variant="secondary"
                            disabled={update.isPending}
                            onClick={() => change(f.id, "open")}
                          >
                            Reopen
                          </Button>
                        )}
                      </>
                    )}
                  </div>
                ) : null}
              </div>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

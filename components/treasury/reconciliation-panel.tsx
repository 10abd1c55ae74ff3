"use client";
// Reconciliation (TREAS-009): run the ledger against the rail's statement on demand, and the latest
// runs with their mismatches, the findings they raised and what they froze. Finance controllers
// and admins only; the server refuses everyone else as well.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { formatMinor } from "@/components/treasury/intent-inbox";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";

const kindLabels = {
  missing_on_rail: "Missing on the rail",
  missing_in_ledger: "Missing in the ledger",
  amount_differs: "Amount differs",
} as const;

function amount(value: string | null, currency: string): string {
  if (value === null) return "—";
  return value.startsWith("-") ? `−${formatMinor(value.slice(1), currency)}` : formatMinor(value, currency);
}

export function ReconciliationPanel() {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const allowed = portfolio.role === "finance_controller" || portfolio.role === "admin";
  const runs = useQuery({
    ...trpc.treasury.listReconciliations.queryOptions({ portfolioId: portfolio.id, limit: 30 }),
    enabled: allowed,
    refetchInterval: 10_000,
  });
  const reconcile = useMutation(
    trpc.treasury.reconcile.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.treasury.listReconciliations.queryKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.treasury.getFreezes.queryKey() });
      },
    }),
  );
  const [open, setOpen] = useState<string | null>(null);

  if (!allowed) {
    return (
      <Card>
        <CardHeader title="Reconciliation" />
        <p className="px-5 py-8 text-sm text-slate-500">
          Reconciliation is for finance controllers and admins.
        </p>
      </Card>
    );
  }

  return (
    <Card data-testid="reconciliation-panel">
      <CardHeader
        title="Reconciliation"
        description="The ledger against the payment rail's statement, the last 7 days. A break raises a finding and freezes the venture it belongs to."
        action={
          <Button
            disabled={reconcile.isPending}
            onClick={() => reconcile.mutate({ portfolioId: portfolio.id })}
          >
            {reconcile.isPending ? "Reconciling…" : "Reconcile now"}
          </Button>
        }
      />
      {reconcile.error ? <p className="px-5 pt-3 text-sm text-red-700">{reconcile.error.message}</p> : null}
      {runs.data && runs.data.length > 0 ? (
        <ul className="divide-y divide-slate-100" data-testid="reconciliation-runs">
          {runs.data.map((run) => (
            <li key={run.id} className="px-5 py-3" data-testid="reconciliation-run">
              <button
                type="button"
                className="flex w-full items-center gap-3 text-left text-sm"
                onClick={() => setOpen(open === run.id ? null : run.id)}
              >
                <Badge tone={run.status === "balanced" ? "green" : run.status === "breaks" ? "red" : "amber"}>
                  {run.status}
                </Badge>
                <span className="text-slate-900">
                  {run.rail} · {run.from.toLocaleString()} – {run.to.toLocaleString()}
                </span>
                <span className="text-slate-500">
                  {run.matched} matched · {run.inTransit} in transit · {run.mismatchCount} mismatch
                  {run.mismatchCount === 1 ? "" : "es"}
                </span>
                <span className="ml-auto text-xs text-slate-500">
                  {run.trigger === "schedule" ? "scheduled" : "on demand"} · {run.startedAt.toLocaleString()}
                </span>
              </button>
              {run.error ? <p className="mt-2 text-xs text-amber-800">{run.error}</p> : null}
              {run.frozen.length > 0 ? (
                <p className="mt-2 text-xs text-red-700">Froze: {run.frozen.join(", ")}</p>
              ) : null}
              {open === run.id && run.mismatches.length > 0 ? (
                <table className="mt-3 w-full text-xs" data-testid="reconciliation-mismatches">
                  <thead className="text-left uppercase text-slate-500">
                    <tr>
                      <th className="py-1 font-medium">Mismatch</th>
                      <th className="py-1 font-medium">Rail reference</th>
                      <th className="py-1 font-medium">Venture</th>
                      <th className="py-1 text-right font-medium">Ledger</th>
                      <th className="py-1 text-right font-medium">Rail</th>
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-slate-100">
                    {run.mismatches.map((m) => (
                      <tr key={`${m.kind}:${m.railReference}`} title={m.detail}>
                        <td className="py-1 text-red-700">{kindLabels[m.kind]}</td>
                        <td className="py-1 font-mono">{m.railReference}</td>
                        <td className="py-1">{m.ventureId ?? "—"}</td>
                        <td className="py-1 text-right">{amount(m.ledgerAmountMinor, m.currency)}</td>
                        <td className="py-1 text-right">{amount(m.railAmountMinor, m.currency)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : null}
            </li>
          ))}
        </ul>
      ) : (
        <p className="px-5 py-8 text-sm text-slate-500">
          {runs.isLoading ? "Loading…" : "No reconciliation has run yet."}
        </p>
      )}
    </Card>
  );
}

"use client";
// Budget transfers between ventures (ORCH-007, ADR 0016): newest first, with their status — pending
// ones wait in the finance controller's inbox, settled ones are one entry in the ledger, named here.
// Shown on the rebalancing page and on the treasury page next to the trial balance.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { formatMinor } from "@/components/orchestration/format";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";
import { Card, CardHeader } from "@/components/ui/card";

export const transferTone = {
  settled: "green",
  approved: "green",
  pending_approval: "amber",
  denied: "red",
  expired: "neutral",
} as const;

export function transferStatusLabel(status: string): string {
  return status.replaceAll("_", " ");
}

export function TransferList({ limit = 20 }: { limit?: number }) {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const transfers = useQuery({
    ...trpc.rebalancing.listTransfers.queryOptions({ portfolioId: portfolio.id, limit }),
    refetchInterval: 5_000,
  });
  return (
    <Card>
      <CardHeader
        title="Budget transfers"
        description="Budget moved between ventures. Pending transfers wait for a finance controller in the inbox; a settled transfer is one ledger entry that debits the target's budget and credits the source's."
        action={
          <Link href="/rebalancing" className="text-sm text-slate-600 hover:text-slate-900">
            Rebalancing →
          </Link>
        }
      />
      {transfers.error ? <p className="px-5 py-4 text-sm text-red-600">{transfers.error.message}</p> : null}
      {transfers.data && transfers.data.length > 0 ? (
        <table className="w-full text-sm" data-testid="transfer-list">
          <thead className="text-left text-xs uppercase tracking-wide text-slate-500">
            <tr>
              <th className="px-5 py-2">From → to</th>
              <th className="px-2 py-2 text-right">Amount</th>
              <th className="px-2 py-2">Status</th>
              <th className="px-2 py-2">Ledger entry</th>
              <th className="px-5 py-2 text-right">Requested</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-50">
            {transfers.data.map((t) => (
              <tr key={t.intentId} data-testid="transfer-row">
                <td className="px-5 py-1.5">
                  <Link href={`/ventures/${t.fromVentureId}`} className="font-medium hover:underline">
                    {t.fromVentureName}
                  </Link>
                  {" → "}
                  <Link href={`/ventures/${t.toVentureId}`} className="font-medium hover:underline">
                    {t.toVentureName}
                  </Link>
                  <p className="truncate text-xs text-slate-500" title={t.reason}>
                    {t.reason}
                  </p>
                </td>
                <td className="px-2 py-1.5 text-right font-mono text-xs">
                  {formatMinor(BigInt(t.amountMinor), t.currency)}
                </td>
                <td className="px-2 py-1.5">
                  <Badge tone={transferTone[t.status as keyof typeof transferTone] ?? "neutral"}>
                    {transferStatusLabel(t.status)}
                  </Badge>
                </td>
                <td className="px-2 py-1.5 font-mono text-xs text-slate-600" data-testid="transfer-entry">
                  {t.entryId ?? "—"}
                </td>
                <td className="px-5 py-1.5 text-right text-xs text-slate-500">
                  {t.createdAt.toLocaleString()}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="px-5 py-6 text-sm text-slate-500">
          {transfers.isLoading ? "Loading…" : "No budget has moved between ventures yet."}
        </p>
      )}
    </Card>
  );
}

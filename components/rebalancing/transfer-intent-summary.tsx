"use client";
// How a budget transfer reads in the approval inbox (ADR 0016): the money intent's venture is the
// source and its counterparty the target; the inbox shows both by name, read from the transfers
// (one query shared by every row).
import { useQuery } from "@tanstack/react-query";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { useTRPC } from "@/components/trpc/react";

export function TransferIntentSummary({
  intentId,
  fromVentureId,
  toVentureId,
}: {
  intentId: string;
  fromVentureId: string;
  toVentureId: string;
}) {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const transfers = useQuery(
    trpc.rebalancing.listTransfers.queryOptions({ portfolioId: portfolio.id, limit: 200 }),
  );
  const transfer = transfers.data?.find((t) => t.intentId === intentId);
  return (
    <span className="text-sm text-slate-600" data-testid="transfer-intent">
      budget transfer · from{" "}
      <span className="font-medium text-slate-900">{transfer?.fromVentureName ?? fromVentureId}</span> to{" "}
      <span className="font-medium text-slate-900">{transfer?.toVentureName ?? toVentureId}</span>
    </span>
  );
}

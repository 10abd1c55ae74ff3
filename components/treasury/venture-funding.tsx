"use client";
// A venture's money on its page (ADR 0012): what its budget holds (available, held by intents,
// funded so far), its cash, revenue and expenses, and a request for more budget from the portfolio
// treasury — a money intent that a finance controller approves in the inbox before the money moves.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { type FormEvent, useState } from "react";
import { formatMinor } from "@/components/orchestration/format";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { Field, Input } from "@/components/ui/field";
import { toMinorUnits } from "./money";

const statusTone = {
  settled: "green",
  approved: "green",
  pending_approval: "amber",
  denied: "red",
} as const;

function fieldErrors(error: unknown): Record<string, string> {
  if (error instanceof TRPCClientError) {
    const fields = (error.data as { fields?: Record<string, string> } | undefined)?.fields;
    if (fields) return fields;
  }
  return {};
}

export function VentureFunding({ ventureId, currency }: { ventureId: string; currency: string }) {
  const portfolio = useCurrentPortfolio();
  const canRequest = portfolio.role === "founder" || portfolio.role === "admin";
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const balances = useQuery({
    ...trpc.treasury.ventureBalances.queryOptions({ ventureId }),
    refetchInterval: 5_000,
  });
  const allocations = useQuery(
    trpc.treasury.listAllocations.queryOptions({ portfolioId: portfolio.id, ventureId, limit: 5 }),
  );
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [localError, setLocalError] = useState<string | null>(null);
  const allocate = useMutation(
    trpc.treasury.allocate.mutationOptions({
      onSuccess: async () => {
        setAmount("");
        setReason("");
        await queryClient.invalidateQueries();
      },
    }),
  );
  const errors = fieldErrors(allocate.error);
  const summary = balances.data?.summary.find((s) => s.currency === currency);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const amountMinor = toMinorUnits(amount, currency);
    if (!amountMinor) {
      setLocalError(`A positive amount in ${currency}, e.g. 2500.00`);
      return;
    }
    setLocalError(null);
    allocate.mutate({ ventureId, amountMinor, currency, reason });
  }

  const result = allocate.data;
  // The request's status now: a finance controller may have decided since (the list is live).
  const resultStatus =
    allocations.data?.find((a) => a.intentId === result?.id)?.status ?? result?.allocationStatus;
  return (
    <Card>
      <CardHeader
        title="Budget"
        description={`What the venture can spend, in ${currency}. More budget comes from the portfolio treasury through an approved allocation.`}
      />
      <dl
        className="grid grid-cols-2 gap-x-6 gap-y-3 px-5 py-4 text-sm sm:grid-cols-6"
        data-testid="venture-budget"
      >
        <div>
          <dt className="text-slate-500">Available</dt>
          <dd className="font-semibold" data-testid="budget-available">
            {summary ? formatMinor(summary.budgetAvailableMinor, currency) : formatMinor(0n, currency)}
          </dd>
        </div>
        <div>
          <dt className="text-slate-500">Held by intents</dt>
          <dd className="font-medium">{formatMinor(summary?.budgetHeldMinor ?? 0n, currency)}</dd>
        </div>
        <div>
          <dt className="text-slate-500">Funded so far</dt>
          <dd className="font-medium">{formatMinor(summary?.fundedMinor ?? 0n, currency)}</dd>
        </div>
        <div>
          <dt className="text-slate-500">Cash (earned)</dt>
          <dd className="font-medium">{formatMinor(summary?.cashAvailableMinor ?? 0n, currency)}</dd>
        </div>
        <div>
          <dt className="text-slate-500">Revenue</dt>
          <dd className="font-medium">{formatMinor(summary?.revenueMinor ?? 0n, currency)}</dd>
        </div>
        <div>
          <dt className="text-slate-500">Expenses</dt>
          <dd className="font-medium">{formatMinor(summary?.expensesMinor ?? 0n, currency)}</dd>
        </div>
      </dl>
      {canRequest ? (
        <form
          onSubmit={onSubmit}
          className="grid gap-3 border-t border-slate-100 px-5 py-4 sm:grid-cols-[12rem_1fr_auto] sm:items-start"
        >
          <Field label="Allocation amount" error={localError ?? errors.amountMinor}>
            <Input
              name="allocation-amount"
              inputMode="decimal"
              placeholder="2500.00"
              value={amount}
              onChange={(e) => setAmount(e.target.value)}
              aria-invalid={localError || errors.amountMinor ? true : undefined}
            />
          </Field>
          <Field label="Reason" error={errors.reason}>
            <Input
              name="allocation-reason"
              placeholder="Launch advertising for the school season"
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              aria-invalid={errors.reason ? true : undefined}
            />
          </Field>
          <Button type="submit" disabled={allocate.isPending} className="sm:mt-6">
            {allocate.isPending ? "Requesting…" : "Request budget"}
          </Button>
        </form>
      ) : null}
      {allocate.error && Object.keys(errors).length === 0 ? (
        <p role="alert" className="px-5 pb-4 text-sm text-red-600">
          {allocate.error.message}
        </p>
      ) : null}
      {result ? (
        <div className="px-5 pb-4 text-sm" data-testid="allocation-result">
          <Badge tone={statusTone[resultStatus as keyof typeof statusTone] ?? "neutral"}>
            {(resultStatus ?? "").replace("_", " ")}
          </Badge>{" "}
          {resultStatus === "pending_approval"
            ? `${formatMinor(BigInt(result.amountMinor), currency)} is held on the treasury until a finance controller decides in the inbox.`
            : resultStatus === "denied"
              ? result.allocationStatus === "denied"
                ? result.reasons.join("; ")
                : "A finance controller denied it."
              : `${formatMinor(BigInt(result.amountMinor), currency)} moved to the budget.`}
        </div>
      ) : null}
      {allocations.data && allocations.data.length > 0 ? (
        <ul
          className="divide-y divide-slate-100 border-t border-slate-100 text-sm"
          data-testid="allocation-list"
        >
          {allocations.data.map((a) => (
            <li key={a.intentId} className="flex items-center gap-3 px-5 py-2">
              <span className="font-mono text-xs">{formatMinor(BigInt(a.amountMinor), a.currency)}</span>
              <Badge tone={statusTone[a.status as keyof typeof statusTone] ?? "neutral"}>
                {a.status.replace("_", " ")}
              </Badge>
              <span className="truncate text-slate-600">{a.reason}</span>
              <span className="ml-auto text-xs text-slate-500">{a.createdAt.toLocaleString()}</span>
            </li>
          ))}
        </ul>
      ) : null}
    </Card>
  );
}

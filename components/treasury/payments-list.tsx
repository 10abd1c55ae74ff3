"use client";
// Payments of approved money intents (TREAS-008): for each, whether the rail paid it, the rail's
// reference, and why it failed; expired intents too. New states appear without reload. A payment
// that has not left (held back by a freeze, or not sent yet) can be voided by a finance controller
// or admin with a note: its hold is released and it is never paid (UJ-3).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { formatMinor, useVentureNames, withNames } from "@/components/treasury/intent-inbox";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { Input } from "@/components/ui/field";

const shown = new Set(["approved", "settled", "failed", "expired"]);
/** Budget moves between our own books settle in the ledger on approval; no rail pays them. */
const internalCategories = new Set(["budget_allocation", "budget_transfer"]);

const tone = (status: string) =>
  status === "settled" ? "green" : status === "failed" ? "red" : status === "expired" ? "neutral" : "amber";

function settlementLabel(
  settlement: { status: string; railStatus: string | null } | null,
  status: string,
  frozen: boolean,
) {
  if (status === "expired") return "expired before a decision";
  if (status === "approved" && frozen && (!settlement || settlement.status === "submitting"))
    return "held back: the treasury is frozen";
  if (!settlement) return "waiting for the rail";
  if (settlement.status === "submitting") return "sending to the rail";
  if (settlement.status === "submitted") return `with the rail (${settlement.railStatus ?? "pending"})`;
  return settlement.status;
}

export function PaymentsList() {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canReconcile = portfolio.role === "finance_controller" || portfolio.role === "admin";
  const canVoid = canReconcile;
  const intents = useQuery({
    ...trpc.treasury.listIntents.queryOptions({ portfolioId: portfolio.id }),
    refetchInterval: 3_000,
  });
  const freezes = useQuery(trpc.treasury.getFreezes.queryOptions({ portfolioId: portfolio.id }));
  const names = useVentureNames();
  const [notes, setNotes] = useState<Record<string, string>>({});
  const voidPayout = useMutation(
    trpc.treasury.voidPayout.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.treasury.listIntents.queryKey() }),
    }),
  );
  const isFrozen = (ventureId: string) =>
    (freezes.data ?? []).some((f) => f.ventureId === null || f.ventureId === ventureId);
  const payments = (intents.data ?? [])
    .filter((intent) => shown.has(intent.status) && !internalCategories.has(intent.category))
    .slice(0, 50);

  return (
    <Card data-testid="payments">
      <CardHeader
        title="Payments"
        description="Approved money intents and what the payment rail did with them"
        action={
          canReconcile ? (
            <Link className="text-sm text-sky-700 hover:underline" href="/treasury/reconciliation">
              Reconciliation →
            </Link>
          ) : undefined
        }
      />
      {payments.length === 0 ? (
        <p className="px-5 py-8 text-sm text-slate-500">
          {intents.isLoading ? "Loading…" : "No payments yet."}
        </p>
      ) : (
        <table className="w-full text-sm">
          <thead className="text-left text-xs uppercase text-slate-500">
            <tr>
              <th className="px-5 py-2 font-medium">Amount</th>
              <th className="px-3 py-2 font-medium">To</th>
              <th className="px-3 py-2 font-medium">Status</th>
              <th className="px-3 py-2 font-medium">Settlement</th>
              <th className="px-3 py-2 font-medium">Rail reference</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {payments.map((intent) => {
              const voidable =
                canVoid &&
                intent.status === "approved" &&
                (!intent.settlement || intent.settlement.status === "submitting");
              const failed =
                voidPayout.error && voidPayout.variables?.intentId === intent.id ? voidPayout.error : null;
              return (
                <tr key={intent.id} data-testid="payment-row" data-intent-id={intent.id}>
                  <td className="px-5 py-2 font-medium text-slate-900">
                    {formatMinor(intent.amountMinor, intent.currency)}
                  </td>
                  <td className="px-3 py-2 text-slate-700">
                    {intent.counterparty}
                    <span className="block text-xs text-slate-500">
                      {intent.category} · {names.get(intent.ventureId) ?? intent.ventureId}
                    </span>
                  </td>
                  <td className="px-3 py-2">
                    <Badge tone={tone(intent.status)}>{intent.status}</Badge>
                  </td>
                  <td className="px-3 py-2 text-slate-700" data-testid="settlement-status">
                    {settlementLabel(intent.settlement, intent.status, isFrozen(intent.ventureId))}
                    {intent.settlement?.failureReason ? (
                      <span className="block text-xs text-red-700">{intent.settlement.failureReason}</span>
                    ) : null}
                    {voidable ? (
                      <span className="mt-1 flex items-center gap-2">
                        <Input
                          aria-label="Void note"
                          placeholder="Why it must not be paid"
                          value={notes[intent.id] ?? ""}
                          onChange={(e) => setNotes({ ...notes, [intent.id]: e.target.value })}
                        />
                        <Button
                          className="shrink-0 whitespace-nowrap"
                          variant="danger"
                          disabled={voidPayout.isPending}
                          onClick={() =>
                            voidPayout.mutate({
                              portfolioId: portfolio.id,
                              intentId: intent.id,
                              note: notes[intent.id] ?? "",
                            })
                          }
                        >
                          Void hold
                        </Button>
                      </span>
                    ) : null}
                    {failed ? (
                      <span role="alert" className="block text-xs font-medium text-red-700">
                        {withNames(failed.message, names)}
                      </span>
                    ) : null}
                  </td>
                  <td className="px-3 py-2 font-mono text-xs text-slate-600" data-testid="rail-reference">
                    {intent.settlement?.railReference
                      ? `${intent.settlement.rail} · ${intent.settlement.railReference}`
                      : "—"}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </Card>
  );
}

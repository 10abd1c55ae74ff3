"use client";
// The approval inbox (TREAS-006/007): pending money intents with their policy reasons, approve or
// deny with a note, and the treasury freeze for finance controllers and admins.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { useTRPC } from "@/components/trpc/react";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { Input } from "@/components/ui/field";

const scales: Record<string, number> = { JPY: 0, KRW: 0, KWD: 3, BHD: 3, JOD: 3, OMR: 3, TND: 3 };

/** Formats minor units exactly (no float rounding), e.g. "600000" USD → "$6,000.00". */
export function formatMinor(amountMinor: string, currency: string): string {
  const scale = scales[currency] ?? 2;
  const digits = amountMinor.padStart(scale + 1, "0");
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale > 0 ? `.${digits.slice(digits.length - scale)}` : "";
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  const symbol =
    currency === "USD" ? "$" : currency === "EUR" ? "€" : currency === "GBP" ? "£" : `${currency} `;
  return `${symbol}${grouped}${fraction}`;
}

export function IntentInbox() {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canDecide = portfolio.role === "finance_controller" || portfolio.role === "admin";
  const intents = useQuery({
    ...trpc.treasury.listIntents.queryOptions({ portfolioId: portfolio.id, status: "pending_approval" }),
    refetchInterval: 5_000,
  });
  const freezes = useQuery(trpc.treasury.getFreezes.queryOptions({ portfolioId: portfolio.id }));
  const refresh = async () => {
    await queryClient.invalidateQueries({ queryKey: trpc.treasury.listIntents.queryKey() });
    await queryClient.invalidateQueries({ queryKey: trpc.treasury.getFreezes.queryKey() });
  };
  const approve = useMutation(trpc.treasury.approveIntent.mutationOptions({ onSuccess: refresh }));
  const deny = useMutation(trpc.treasury.denyIntent.mutationOptions({ onSuccess: refresh }));
  const freeze = useMutation(trpc.treasury.freeze.mutationOptions({ onSuccess: refresh }));
  const unfreeze = useMutation(trpc.treasury.unfreeze.mutationOptions({ onSuccess: refresh }));
  const [notes, setNotes] = useState<Record<string, string>>({});
  const [freezeReason, setFreezeReason] = useState("");
  const portfolioFreeze = freezes.data?.find((f) => f.ventureId === null);
  const error = approve.error ?? deny.error ?? freeze.error ?? unfreeze.error;

  return (
    <div className="grid gap-6">
      {freezes.data && freezes.data.length > 0 ? (
        <div
          className="rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800"
          data-testid="freeze-banner"
        >
          {freezes.data.map((f) => (
            <p key={f.id}>
              {f.ventureId ? `Venture ${f.ventureId}` : "The whole treasury"} is frozen: {f.reason}
            </p>
          ))}
        </div>
      ) : null}
      {canDecide ? (
        <Card>
          <CardHeader title="Treasury freeze" description="While frozen, every new money intent is denied." />
          <div className="flex items-center gap-3 px-5 pb-4">
            <Input
              aria-label="Freeze reason"
              placeholder="Reason"
              value={freezeReason}
              onChange={(e) => setFreezeReason(e.target.value)}
            />
            {portfolioFreeze ? (
              <Button
                variant="secondary"
                disabled={unfreeze.isPending}
                onClick={() => unfreeze.mutate({ portfolioId: portfolio.id, reason: freezeReason })}
              >
                Unfreeze
              </Button>
            ) : (
              <Button
                variant="danger"
                disabled={freeze.isPending}
                onClick={() => freeze.mutate({ portfolioId: portfolio.id, reason: freezeReason })}
              >
                Freeze treasury
              </Button>
            )}
          </div>
        </Card>
      ) : null}
      {error ? <p className="text-sm text-red-700">{error.message}</p> : null}
      <Card>
        <CardHeader
          title="Approval inbox"
          description={`${intents.data?.length ?? 0} money intents await approval`}
        />
        {intents.isLoading ? (
          <p className="px-5 py-8 text-sm text-slate-500">Loading…</p>
        ) : intents.data && intents.data.length > 0 ? (
          <ul className="divide-y divide-slate-100" data-testid="intent-list">
            {intents.data.map((intent) => (
              <li key={intent.id} className="grid gap-2 px-5 py-4" data-testid="intent-row">
                <div className="flex items-baseline gap-3">
                  <span className="font-semibold text-slate-900">
                    {formatMinor(intent.amountMinor, intent.currency)}
                  </span>
                  <span className="text-sm text-slate-600">
                    {intent.category} · {intent.counterparty} · venture {intent.ventureId}
                  </span>
                  <span className="ml-auto text-xs text-slate-500">
                    {intent.approvals.length}/{intent.approvalsRequired} approvals · expires{" "}
                    {intent.expiresAt.toLocaleString()}
                  </span>
                </div>
                <p className="text-sm text-slate-800">{intent.purpose}</p>
                <ul className="list-disc pl-5 text-xs text-slate-600">
                  {intent.reasons.map((reason) => (
                    <li key={reason}>{reason}</li>
                  ))}
                </ul>
                {canDecide ? (
                  <div className="flex items-center gap-2">
                    <Input
                      aria-label="Note"
                      placeholder="Note"
                      value={notes[intent.id] ?? ""}
                      onChange={(e) => setNotes({ ...notes, [intent.id]: e.target.value })}
                    />
                    <Button
                      disabled={approve.isPending}
                      onClick={() =>
                        approve.mutate({
                          portfolioId: portfolio.id,
                          intentId: intent.id,
                          note: notes[intent.id] ?? "",
                        })
                      }
                    >
                      Approve
                    </Button>
                    <Button
                      variant="danger"
                      disabled={deny.isPending}
                      onClick={() =>
                        deny.mutate({
                          portfolioId: portfolio.id,
                          intentId: intent.id,
                          note: notes[intent.id] ?? "",
                        })
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
          <p className="px-5 py-8 text-sm text-slate-500">Nothing awaits approval.</p>
        )}
      </Card>
    </div>
  );
}

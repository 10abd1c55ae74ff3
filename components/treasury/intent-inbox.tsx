"use client";
// The approval inbox (TREAS-006/007): pending money intents with their policy reasons, approve or
// deny with a note, and the treasury freeze for finance controllers and admins — the portfolio's
// by hand, and each frozen venture's (an automatic freeze by the anomaly guard included) lifted
// with a reason.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { useState } from "react";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { TransferIntentSummary } from "@/components/rebalancing/transfer-intent-summary";
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

/** The machine actor of automatic freezes (server/contexts/treasury/rails/auto-freeze.ts). */
const anomalyGuard = "treasury-anomaly-guard";

/** Venture names by id, for showing people names instead of ids. */
export function useVentureNames(): Map<string, string> {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const ventures = useQuery(trpc.orchestration.listVentures.queryOptions({ portfolioId: portfolio.id }));
  return new Map((ventures.data ?? []).map((v) => [v.id, v.name]));
}

/** Ids in a text (a freeze reason names the venture by id) replaced by the names people know. */
export function withNames(text: string, names: Map<string, string>): string {
  let named = text;
  for (const [id, name] of names) named = named.replaceAll(id, name);
  return named;
}

function fieldErrors(error: unknown): Record<string, string> {
  if (error instanceof TRPCClientError) {
    const fields = (error.data as { fields?: Record<string, string> } | undefined)?.fields;
    if (fields) return fields;
  }
  return {};
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
  const unfreezeVenture = useMutation(
    trpc.treasury.unfreeze.mutationOptions({
      onSuccess: async (_lifted, input) => {
        setUnfreezeReasons((current) => ({ ...current, [input.ventureId ?? ""]: "" }));
        await refresh();
      },
    }),
  );
  const names = useVentureNames();
  const [notes, setNotes] = useState<Record<string, string>>({});
  const [freezeReason, setFreezeReason] = useState("");
  const [unfreezeReasons, setUnfreezeReasons] = useState<Record<string, string>>({});
  const portfolioFreeze = freezes.data?.find((f) => f.ventureId === null);
  const error = approve.error ?? deny.error ?? freeze.error ?? unfreeze.error;
  // A new action replaces the message of the last one (a refused approval, then a denial).
  const clearErrors = () => {
    for (const mutation of [approve, deny, freeze, unfreeze, unfreezeVenture]) mutation.reset();
  };
  const ventureName = (ventureId: string) => names.get(ventureId) ?? ventureId;

  return (
    <div className="grid gap-6">
      {freezes.data && freezes.data.length > 0 ? (
        <div
          className="divide-y divide-red-200 rounded-md border border-red-200 bg-red-50 text-sm text-red-800"
          data-testid="freeze-banner"
        >
          {freezes.data.map((f) => {
            const failed =
              unfreezeVenture.error && unfreezeVenture.variables?.ventureId === f.ventureId
                ? unfreezeVenture.error
                : null;
            return (
              <div key={f.id} className="grid gap-2 px-4 py-3" data-testid="freeze-row">
                <p>
                  <span className="font-semibold">
                    {f.ventureId ? `${ventureName(f.ventureId)}'s treasury` : "The whole treasury"} is frozen:
                  </span>{" "}
                  {withNames(f.reason, names)}
                </p>
                <p className="text-xs text-red-700">
                  {f.frozenBy === anomalyGuard
                    ? "Frozen automatically by the anomaly guard"
                    : "Frozen by hand"}{" "}
                  at {f.frozenAt.toLocaleString()}. Every new money intent is denied and approved payments
                  wait until it is lifted.
                </p>
                {canDecide && f.ventureId ? (
                  <div className="grid gap-1">
                    <div className="flex items-center gap-2">
                      <Input
                        aria-label={`Reason to unfreeze ${ventureName(f.ventureId)}`}
                        placeholder="Why it is safe to lift the freeze"
                        value={unfreezeReasons[f.ventureId] ?? ""}
                        aria-invalid={fieldErrors(failed).reason ? true : undefined}
                        onChange={(e) =>
                          setUnfreezeReasons({ ...unfreezeReasons, [f.ventureId!]: e.target.value })
                        }
                      />
                      <Button
                        className="shrink-0 whitespace-nowrap"
                        variant="secondary"
                        disabled={unfreezeVenture.isPending}
                        onClick={() => {
                          clearErrors();
                          unfreezeVenture.mutate({
                            portfolioId: portfolio.id,
                            ventureId: f.ventureId,
                            reason: unfreezeReasons[f.ventureId!] ?? "",
                          });
                        }}
                      >
                        Unfreeze venture
                      </Button>
                    </div>
                    {failed ? (
                      <p role="alert" className="text-xs font-medium text-red-700">
                        {withNames(failed.message, names)}
                      </p>
                    ) : null}
                  </div>
                ) : null}
              </div>
            );
          })}
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
                className="shrink-0 whitespace-nowrap"
                variant="secondary"
                disabled={unfreeze.isPending}
                onClick={() => {
                  clearErrors();
                  unfreeze.mutate({ portfolioId: portfolio.id, reason: freezeReason });
                }}
              >
                Unfreeze
              </Button>
            ) : (
              <Button
                className="shrink-0 whitespace-nowrap"
                variant="danger"
                disabled={freeze.isPending}
                onClick={() => {
                  clearErrors();
                  freeze.mutate({ portfolioId: portfolio.id, reason: freezeReason });
                }}
              >
                Freeze treasury
              </Button>
            )}
          </div>
        </Card>
      ) : null}
      {error ? (
        <p role="alert" className="text-sm text-red-700">
          {withNames(error.message, names)}
        </p>
      ) : null}
      <Card>
        <CardHeader
          title="Approval inbox"
          description={
            intents.data?.length === 1
              ? "1 money intent awaits approval"
              : `${intents.data?.length ?? 0} money intents await approval`
          }
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
                  {intent.category === "budget_transfer" ? (
                    <TransferIntentSummary
                      intentId={intent.id}
                      fromVentureId={intent.ventureId}
                      toVentureId={intent.counterparty}
                    />
                  ) : (
                    <span className="text-sm text-slate-600">
                      {intent.category} · {intent.counterparty} · {ventureName(intent.ventureId)}
                    </span>
                  )}
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
                      onClick={() => {
                        clearErrors();
                        approve.mutate({
                          portfolioId: portfolio.id,
                          intentId: intent.id,
                          note: notes[intent.id] ?? "",
                        });
                      }}
                    >
                      Approve
                    </Button>
                    <Button
                      variant="danger"
                      disabled={deny.isPending}
                      onClick={() => {
                        clearErrors();
                        deny.mutate({
                          portfolioId: portfolio.id,
                          intentId: intent.id,
                          note: notes[intent.id] ?? "",
                        });
                      }}
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

"use client";
// The scale-up playbook on a venture's page (ORCH-008, UJ-6, ADR 0017): where the venture stands
// (trailing revenue against the threshold, armed or fired, concurrency now), the latest run with
// its approvals (the budget increase always needs two distinct finance controllers), and the form
// founders, finance controllers and admins configure it with. Amounts are typed in major units and
// sent as exact minor units.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import Link from "next/link";
import { type FormEvent, useEffect, useState } from "react";
import { formatMinor } from "@/components/orchestration/format";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { currencyScale, toMinorUnits } from "@/components/treasury/money";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { Field, Input } from "@/components/ui/field";

const runTone = {
  waiting_approval: "amber",
  approved: "blue",
  concurrency_raised: "green",
  denied: "red",
  expired: "neutral",
} as const;

const runLabel = {
  waiting_approval: "waiting for approvals",
  approved: "approved",
  concurrency_raised: "concurrency raised",
  denied: "denied",
  expired: "expired",
} as const;

function fieldErrors(error: unknown): Record<string, string> {
  if (error instanceof TRPCClientError) {
    const fields = (error.data as { fields?: Record<string, string> } | undefined)?.fields;
    if (fields) return fields;
  }
  return {};
}

/** Minor units as the text a person would type back: 150000 → "1500.00". */
function toMajorText(amountMinor: bigint, currency: string): string {
  const scale = currencyScale(currency);
  const digits = amountMinor.toString().padStart(scale + 1, "0");
  return scale > 0 ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
}

type Form = { threshold: string; windowDays: string; increase: string; target: string; enabled: boolean };

export function ScaleUpPlaybookPanel({ ventureId }: { ventureId: string }) {
  const portfolio = useCurrentPortfolio();
  const canConfigure = portfolio.role !== "auditor";
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const view = useQuery({ ...trpc.playbooks.get.queryOptions({ ventureId }), refetchInterval: 2_000 });
  const [form, setForm] = useState<Form | null>(null);
  const [localErrors, setLocalErrors] = useState<Record<string, string>>({});
  const save = useMutation(
    trpc.playbooks.set.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries();
      },
    }),
  );

  const data = view.data;
  // The form starts from what is configured (or empty), once the first answer arrives.
  useEffect(() => {
    if (!data || form) return;
    const p = data.playbook;
    setForm({
      threshold: p ? toMajorText(p.revenueThresholdMinor, data.currency) : "",
      windowDays: String(p?.windowDays ?? data.windowDays),
      increase: p ? toMajorText(p.budgetIncreaseMinor, data.currency) : "",
      target: p ? String(p.concurrencyTarget) : String(Math.max(data.currentConcurrency * 2, 2)),
      enabled: p?.enabled ?? true,
    });
  }, [data, form]);

  if (view.error) return null;
  if (!data || !form) return null;
  const currency = data.currency;
  const errors = { ...fieldErrors(save.error), ...localErrors };
  const run = data.latestRun;
  const state = !data.playbook
    ? { label: "not configured", tone: "neutral" as const }
    : !data.playbook.enabled
      ? { label: "disabled", tone: "neutral" as const }
      : data.fired
        ? { label: "fired", tone: "blue" as const }
        : { label: "armed", tone: "green" as const };

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!form) return;
    const problems: Record<string, string> = {};
    const threshold = toMinorUnits(form.threshold, currency);
    if (!threshold) problems.revenueThresholdMinor = `A positive amount in ${currency}, e.g. 1500.00`;
    const increase = toMinorUnits(form.increase, currency);
    if (!increase) problems.budgetIncreaseMinor = `A positive amount in ${currency}, e.g. 5000.00`;
    const windowDays = Number(form.windowDays);
    const target = Number(form.target);
    setLocalErrors(problems);
    if (Object.keys(problems).length > 0) return;
    save.mutate({
      ventureId,
      enabled: form.enabled,
      revenueThresholdMinor: threshold!,
      budgetIncreaseMinor: increase!,
      windowDays: form.windowDays.trim() === "" ? Number.NaN : windowDays,
      concurrencyTarget: form.target.trim() === "" ? Number.NaN : target,
    });
  }

  return (
    <Card data-testid="scale-up-panel">
      <CardHeader
        title="Scale-up playbook"
        description="When revenue over the trailing window reaches the threshold, it asks the portfolio treasury for more budget — two finance controllers must approve — and then raises how many tasks of this venture run at once. Each configuration fires once."
        action={
          <span data-testid="playbook-state">
            <Badge tone={state.tone}>{state.label}</Badge>
          </span>
        }
      />
      <dl className="grid grid-cols-2 gap-x-6 gap-y-3 px-5 py-4 text-sm sm:grid-cols-4">
        <div>
          <dt className="text-slate-500">Revenue, last {data.windowDays} days</dt>
          <dd className="font-semibold" data-testid="playbook-trailing-revenue">
            {formatMinor(data.trailingRevenueMinor, currency)}
          </dd>
        </div>
        <div>
          <dt className="text-slate-500">Threshold</dt>
          <dd className="font-medium" data-testid="playbook-threshold">
            {data.playbook ? formatMinor(data.playbook.revenueThresholdMinor, currency) : "—"}
            {data.playbook ? (
              <span
                className={`ml-2 text-xs ${data.thresholdPassed ? "text-emerald-700" : "text-slate-500"}`}
              >
                {data.thresholdPassed ? "reached" : "not reached"}
              </span>
            ) : null}
          </dd>
        </div>
        <div>
          <dt className="text-slate-500">Concurrency now</dt>
          <dd className="font-medium" data-testid="playbook-concurrency">
            {data.currentConcurrency} at once
          </dd>
        </div>
        <div>
          <dt className="text-slate-500">After approval</dt>
          <dd className="font-medium">
            {data.playbook
              ? `${formatMinor(data.playbook.budgetIncreaseMinor, currency)} more · ${data.playbook.concurrencyTarget} at once`
              : "—"}
          </dd>
        </div>
      </dl>

      {run ? (
        <section
          aria-label="Latest playbook run"
          className="grid gap-1 border-t border-slate-100 px-5 py-3 text-sm"
          data-testid="playbook-run"
          data-status={run.status}
        >
          <div className="flex flex-wrap items-center gap-2">
            <Badge tone={runTone[run.status]}>
              <span data-testid="playbook-run-status">{runLabel[run.status]}</span>
            </Badge>
            {run.status === "waiting_approval" ? null : (
              <span className="font-medium text-slate-900" data-testid="playbook-run-summary">
                {run.summary}
              </span>
            )}
            <span className="text-slate-600" data-testid="playbook-approvals">
              Approvals {run.approvalsGiven} of {run.approvalsRequired}
            </span>
            {run.status === "waiting_approval" ? (
              <Link href="/inbox" className="text-sky-700 hover:underline">
                Approval inbox →
              </Link>
            ) : null}
          </div>
          <p className="text-xs text-slate-500">
            Fired {run.firedAt.toLocaleString()} at {formatMinor(run.trailingRevenueMinor, run.currency)} of
            revenue over {run.windowDays} days · asks {formatMinor(run.budgetIncreaseMinor, run.currency)} ·
            concurrency {run.concurrencyBefore} → {run.concurrencyAfter ?? run.concurrencyTarget}
            {run.reason && run.status !== "concurrency_raised" ? ` · ${run.reason}` : ""}
          </p>
        </section>
      ) : null}

      {canConfigure ? (
        <form
          onSubmit={onSubmit}
          className="grid gap-3 border-t border-slate-100 px-5 py-4 sm:grid-cols-2 lg:grid-cols-[1fr_11rem_1fr_11rem_auto_auto] lg:items-start"
          aria-label="Configure the scale-up playbook"
        >
          <Field label={`Revenue threshold (${currency})`} error={errors.revenueThresholdMinor}>
            <Input
              name="playbook-threshold"
              inputMode="decimal"
              placeholder="1500.00"
              value={form.threshold}
              onChange={(e) => setForm({ ...form, threshold: e.target.value })}
              aria-invalid={errors.revenueThresholdMinor ? true : undefined}
            />
          </Field>
          <Field label="Revenue window (days)" error={errors.windowDays}>
            <Input
              name="playbook-window"
              inputMode="numeric"
              value={form.windowDays}
              onChange={(e) => setForm({ ...form, windowDays: e.target.value })}
              aria-invalid={errors.windowDays ? true : undefined}
            />
          </Field>
          <Field label={`Budget increase (${currency})`} error={errors.budgetIncreaseMinor}>
            <Input
              name="playbook-increase"
              inputMode="decimal"
              placeholder="5000.00"
              value={form.increase}
              onChange={(e) => setForm({ ...form, increase: e.target.value })}
              aria-invalid={errors.budgetIncreaseMinor ? true : undefined}
            />
          </Field>
          <Field label="Concurrency target" error={errors.concurrencyTarget}>
            <Input
              name="playbook-concurrency"
              inputMode="numeric"
              value={form.target}
              onChange={(e) => setForm({ ...form, target: e.target.value })}
              aria-invalid={errors.concurrencyTarget ? true : undefined}
            />
          </Field>
          <label className="flex items-center gap-2 text-sm text-slate-700 lg:mt-8">
            <input
              type="checkbox"
              name="playbook-enabled"
              checked={form.enabled}
              onChange={(e) => setForm({ ...form, enabled: e.target.checked })}
            />
            Enabled
          </label>
          <Button type="submit" disabled={save.isPending} className="lg:mt-6">
            {save.isPending ? "Saving…" : "Save playbook"}
          </Button>
        </form>
      ) : null}
      {save.error && Object.keys(fieldErrors(save.error)).length === 0 ? (
        <p role="alert" className="px-5 pb-4 text-sm text-red-600">
          {save.error.message}
        </p>
      ) : null}
      {save.data ? (
        <p className="px-5 pb-4 text-sm text-slate-600" data-testid="playbook-saved" role="status">
          {save.data.changed
            ? `Saved as version ${save.data.playbook.playbook?.version}: ${save.data.playbook.armed ? "armed" : "not armed"}.`
            : "Nothing changed."}
        </p>
      ) : null}
    </Card>
  );
}

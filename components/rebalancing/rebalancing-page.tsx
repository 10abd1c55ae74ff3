"use client";
// Portfolio rebalancing (ORCH-007, UJ-2, ADR 0016): the ventures side by side — budget, burn per day,
// runway and revenue growth from the ledger — the recommended budget moves with the figures behind
// each, a "Request transfer" on each, a form to move budget between any two ventures, and the
// transfers so far. A transfer is a money intent: it waits for a finance controller in the inbox.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { formatMinor } from "@/components/orchestration/format";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { toMinorUnits } from "@/components/treasury/money";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { Field, Input } from "@/components/ui/field";
import { TransferList, transferStatusLabel, transferTone } from "./transfer-list";

type Venture = { ventureId: string; ventureName: string; currency: string };

/** What a transfer request answered, as the page shows it. */
type TransferAnswer = {
  transferStatus: string;
  amountMinor: string;
  currency: string;
  fromVentureName: string;
  toVentureName: string;
  reasons: string[];
  approvalsRequired: number;
};

const selectClass =
  "block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm aria-[invalid=true]:border-red-500";

/** A fresh idempotency key for the form (no crypto.randomUUID: it needs a secure context). */
function freshKey(): string {
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

function fieldErrors(error: unknown): Record<string, string> {
  if (error instanceof TRPCClientError) {
    const fields = (error.data as { fields?: Record<string, string> } | undefined)?.fields;
    if (fields) return fields;
  }
  return {};
}

/** Basis points as a signed percentage, e.g. 15000 → "+150%", -333 → "−3.3%". */
function percent(bps: number): string {
  const sign = bps > 0 ? "+" : bps < 0 ? "−" : "±";
  const abs = Math.abs(bps);
  const tenth = Math.trunc((abs % 100) / 10);
  return `${sign}${Math.trunc(abs / 100)}${tenth ? `.${tenth}` : ""}%`;
}

function growthText(v: { revenueTrend: string; revenueGrowthBps: number | null }): string {
  if (v.revenueTrend === "none") return "no revenue";
  if (v.revenueTrend === "new") return "new revenue";
  return v.revenueGrowthBps === null ? "—" : percent(v.revenueGrowthBps);
}

function TransferResult({ answer }: { answer: TransferAnswer }) {
  const amount = formatMinor(BigInt(answer.amountMinor), answer.currency);
  return (
    <div className="text-sm" data-testid="transfer-result">
      <Badge tone={transferTone[answer.transferStatus as keyof typeof transferTone] ?? "neutral"}>
        {transferStatusLabel(answer.transferStatus)}
      </Badge>{" "}
      {answer.transferStatus === "pending_approval"
        ? `${amount} from ${answer.fromVentureName} to ${answer.toVentureName} is held until ${answer.approvalsRequired > 1 ? `${answer.approvalsRequired} finance controllers approve` : "a finance controller approves"} in the inbox.`
        : answer.transferStatus === "denied"
          ? answer.reasons.join("; ")
          : answer.transferStatus === "settled"
            ? `${amount} moved from ${answer.fromVentureName} to ${answer.toVentureName}.`
            : ""}
    </div>
  );
}

function TransferForm({ ventures }: { ventures: Venture[] }) {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  // One key per request being filled in: a double submit is the same transfer, not two.
  const [key, setKey] = useState(freshKey);
  const [local, setLocal] = useState<Record<string, string>>({});
  const request = useMutation(
    trpc.rebalancing.requestTransfer.mutationOptions({
      onSuccess: async () => {
        setAmount("");
        setReason("");
        setKey(freshKey());
        await queryClient.invalidateQueries();
      },
    }),
  );
  const server = fieldErrors(request.error);
  const errors = { ...server, ...local };
  const source = ventures.find((v) => v.ventureId === from);
  const currency = source?.currency ?? "USD";

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const problems: Record<string, string> = {};
    if (!from) problems.fromVentureId = "Choose the venture the budget comes from";
    if (!to) problems.toVentureId = "Choose the venture the budget goes to";
    else if (to === from) problems.toVentureId = "Choose another venture than the source";
    const amountMinor = toMinorUnits(amount, currency);
    if (!amountMinor) problems.amountMinor = `A positive amount in ${currency}, e.g. 2500.00`;
    setLocal(problems);
    if (Object.keys(problems).length > 0 || !amountMinor) return;
    request.reset();
    request.mutate({
      portfolioId: portfolio.id,
      fromVentureId: from,
      toVentureId: to,
      amountMinor,
      currency,
      reason,
      idempotencyKey: `form:${key}`,
    });
  }

  return (
    <Card>
      <CardHeader
        title="Move budget"
        description="From one venture's budget to another's. The amount is held on the source until a finance controller approves it in the inbox; then the ledger moves it."
      />
      <form
        onSubmit={onSubmit}
        noValidate
        className="grid gap-3 p-5 md:grid-cols-[1fr_1fr_10rem_2fr_auto] md:items-start"
        aria-label="Move budget between ventures"
      >
        <Field label="From venture" error={errors.fromVentureId}>
          <select
            name="from-venture"
            className={selectClass}
            value={from}
            onChange={(e) => setFrom(e.target.value)}
            aria-invalid={errors.fromVentureId ? true : undefined}
          >
            <option value="">Choose…</option>
            {ventures.map((v) => (
              <option key={v.ventureId} value={v.ventureId}>
                {v.ventureName}
              </option>
            ))}
          </select>
        </Field>
        <Field label="To venture" error={errors.toVentureId}>
          <select
            name="to-venture"
            className={selectClass}
            value={to}
            onChange={(e) => setTo(e.target.value)}
            aria-invalid={errors.toVentureId ? true : undefined}
          >
            <option value="">Choose…</option>
            {ventures.map((v) => (
              <option key={v.ventureId} value={v.ventureId}>
                {v.ventureName}
              </option>
            ))}
          </select>
        </Field>
        <Field label={`Transfer amount (${currency})`} error={errors.amountMinor ?? errors.currency}>
          <Input
            name="transfer-amount"
            inputMode="decimal"
            placeholder="2500.00"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            aria-invalid={errors.amountMinor || errors.currency ? true : undefined}
          />
        </Field>
        <Field label="Transfer reason" error={errors.reason}>
          <Input
            name="transfer-reason"
            placeholder="Revenue is growing and its runway is short"
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            aria-invalid={errors.reason ? true : undefined}
          />
        </Field>
        <Button type="submit" disabled={request.isPending} className="md:mt-6">
          {request.isPending ? "Requesting…" : "Move budget"}
        </Button>
      </form>
      {request.error && Object.keys(server).length === 0 ? (
        <p role="alert" className="px-5 pb-4 text-sm text-red-600">
          {request.error.message}
        </p>
      ) : null}
      {request.data ? (
        <div className="px-5 pb-4">
          <TransferResult answer={request.data} />
        </div>
      ) : null}
    </Card>
  );
}

export function RebalancingPage() {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canRequest =
    portfolio.role === "founder" || portfolio.role === "finance_controller" || portfolio.role === "admin";
  const overview = useQuery({
    ...trpc.rebalancing.recommendations.queryOptions({ portfolioId: portfolio.id }),
    refetchInterval: 15_000,
  });
  const [answers, setAnswers] = useState<Record<string, TransferAnswer>>({});
  const [failures, setFailures] = useState<Record<string, string>>({});
  const request = useMutation(trpc.rebalancing.requestTransfer.mutationOptions());
  const data = overview.data;
  const rules = data?.rules;

  async function requestRecommended(rec: NonNullable<typeof data>["recommendations"][number]) {
    if (!data) return;
    // The same recommendation requested twice on one day is the same transfer.
    const key = `rec:${data.window.to}:${rec.id}:${rec.amountMinor}`;
    try {
      const answer = await request.mutateAsync({
        portfolioId: portfolio.id,
        fromVentureId: rec.fromVentureId,
        toVentureId: rec.toVentureId,
        amountMinor: rec.amountMinor.toString(),
        currency: rec.currency,
        reason: rec.summary.slice(0, 500),
        ...(key.length <= 100 ? { idempotencyKey: key } : {}),
      });
      setAnswers((a) => ({ ...a, [rec.id]: answer }));
      setFailures(({ [rec.id]: _gone, ...rest }) => rest);
      await queryClient.invalidateQueries();
    } catch (error) {
      setFailures((f) => ({ ...f, [rec.id]: error instanceof Error ? error.message : String(error) }));
    }
  }

  return (
    <div className="grid gap-6">
      <div className="flex items-end justify-between">
        <div>
          <h1 className="text-xl font-semibold text-slate-900">Rebalancing</h1>
          <p className="text-sm text-slate-500">
            {portfolio.name}: compare ventures and move budget to where revenue grows
            {data ? ` · last ${data.window.days} days (${data.window.from} – ${data.window.to})` : ""}
          </p>
        </div>
        <Link href="/treasury" className="text-sm text-slate-600 hover:text-slate-900">
          Treasury and ledger →
        </Link>
      </div>
      {overview.error ? <p className="text-sm text-red-600">{overview.error.message}</p> : null}
      {data?.portfolioFrozen ? (
        <div
          className="rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800"
          role="status"
        >
          The portfolio's treasury is frozen: every budget move is denied until it is unfrozen.
        </div>
      ) : null}

      <Card>
        <CardHeader
          title="Compare ventures"
          description={
            rules
              ? `Burn is spend per day over the last ${rules.windowDays} days; runway is the available budget at that burn; growth compares revenue with the ${rules.windowDays} days before.`
              : undefined
          }
        />
        <table className="w-full text-sm" data-testid="rebalancing-ventures">
          <thead className="text-left text-xs uppercase tracking-wide text-slate-500">
            <tr>
              <th className="px-5 py-2">Venture</th>
              <th className="px-2 py-2 text-right">Budget available</th>
              <th className="px-2 py-2 text-right">Burn / day</th>
              <th className="px-2 py-2 text-right">Runway</th>
              <th className="px-2 py-2 text-right">Revenue</th>
              <th className="px-2 py-2 text-right">Growth</th>
              <th className="px-5 py-2">Assessment</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {(data?.ventures ?? []).map((v) => (
              <tr key={v.ventureId} data-testid="rebalancing-venture-row">
                <td className="px-5 py-2 align-top">
                  <Link
                    href={`/ventures/${v.ventureId}`}
                    className="font-medium text-slate-900 hover:underline"
                  >
                    {v.ventureName}
                  </Link>
                  <p className="text-xs capitalize text-slate-500">
                    {v.stage}
                    {v.frozen ? " · frozen" : ""}
                  </p>
                </td>
                <td className="px-2 py-2 text-right align-top font-mono text-xs" data-testid="kpi-budget">
                  {formatMinor(v.budgetAvailableMinor, v.currency)}
                </td>
                <td className="px-2 py-2 text-right align-top font-mono text-xs" data-testid="kpi-burn">
                  {formatMinor(v.burnPerDayMinor, v.currency)}
                </td>
                <td className="px-2 py-2 text-right align-top" data-testid="kpi-runway">
                  {v.runwayDays === null ? "no spend" : `${v.runwayDays} d`}
                </td>
                <td className="px-2 py-2 text-right align-top font-mono text-xs">
                  {formatMinor(v.revenueMinor, v.currency)}
                  <p className="text-slate-400">before {formatMinor(v.previousRevenueMinor, v.currency)}</p>
                </td>
                <td className="px-2 py-2 text-right align-top" data-testid="kpi-growth">
                  {growthText(v)}
                </td>
                <td className="px-5 py-2 align-top">
                  {v.role === "source" ? (
                    <Badge tone="blue">can give {formatMinor(v.movableMinor, v.currency)}</Badge>
                  ) : v.role === "target" ? (
                    <Badge tone="amber">needs {formatMinor(v.neededMinor, v.currency)}</Badge>
                  ) : (
                    <Badge>no move</Badge>
                  )}
                  <p className="mt-0.5 text-xs text-slate-500">{v.why.at(-1)}</p>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {data && data.ventures.length === 0 ? (
          <p className="px-5 py-6 text-sm text-slate-500">
            No ventures yet. <Link href="/ventures">Create one</Link>.
          </p>
        ) : null}
      </Card>

      <Card>
        <CardHeader
          title="Recommendations"
          description={
            rules
              ? `From ventures with a runway of ${rules.longRunwayDays}+ days and no revenue growth (they keep ${rules.sourceKeepRunwayDays} days) to ventures under ${rules.shortRunwayDays} days whose revenue grew ${rules.minGrowthPercent}% or more (lifted to ${rules.targetRunwayDays} days).`
              : undefined
          }
        />
        {data && data.recommendations.length > 0 ? (
          <ul className="divide-y divide-slate-100" data-testid="recommendations">
            {data.recommendations.map((rec) => (
              <li key={rec.id} className="grid gap-2 px-5 py-4" data-testid="recommendation">
                <div className="flex items-start gap-3">
                  <p className="font-medium text-slate-900">{rec.summary}</p>
                  {canRequest ? (
                    <Button
                      className="ml-auto shrink-0"
                      disabled={request.isPending}
                      onClick={() => requestRecommended(rec)}
                    >
                      Request transfer
                    </Button>
                  ) : null}
                </div>
                <ul className="list-disc pl-5 text-xs text-slate-600">
                  {rec.reasons.map((reason) => (
                    <li key={reason}>{reason}</li>
                  ))}
                </ul>
                {answers[rec.id] ? <TransferResult answer={answers[rec.id]!} /> : null}
                {failures[rec.id] ? (
                  <p role="alert" className="text-sm text-red-600">
                    {failures[rec.id]}
                  </p>
                ) : null}
              </li>
            ))}
          </ul>
        ) : (
          <p className="px-5 py-6 text-sm text-slate-500" data-testid="no-recommendations">
            {overview.isLoading
              ? "Loading…"
              : "No move recommended: no venture has both a long runway without revenue growth to give from, and another a short runway with growing revenue to give to."}
          </p>
        )}
      </Card>

      {canRequest && data ? (
        <TransferForm
          ventures={data.ventures.map((v) => ({
            ventureId: v.ventureId,
            ventureName: v.ventureName,
            currency: v.currency,
          }))}
        />
      ) : null}
      <TransferList />
    </div>
  );
}

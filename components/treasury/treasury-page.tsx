"use client";
// The treasury page (TREAS-009, ADR 0012): capital deposits, the trial balance that visibly adds up
// (a totals row per currency whose debit equals its credit), P&L and runway per venture, and each
// report as a CSV download. Every figure comes from the ledger through the report procedures.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { formatMinor } from "@/components/orchestration/format";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { TransferList } from "@/components/rebalancing/transfer-list";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { Field, Input } from "@/components/ui/field";
import { fundingCurrencies, toMinorUnits } from "./money";

function fieldErrors(error: unknown): Record<string, string> {
  if (error instanceof TRPCClientError) {
    const fields = (error.data as { fields?: Record<string, string> } | undefined)?.fields;
    if (fields) return fields;
  }
  return {};
}

function dayOf(date: Date): string {
  return date.toISOString().slice(0, 10);
}

function csvHref(portfolioId: string, report: string, params: Record<string, string | number> = {}): string {
  const query = new URLSearchParams({
    portfolioId,
    ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])),
  });
  return `/treasury/reports/${report}?${query.toString()}`;
}

function CsvLink({ href, label }: { href: string; label: string }) {
  return (
    <a
      href={href}
      download
      aria-label={`Download ${label} CSV`}
      className="inline-flex items-center gap-1 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-xs font-medium text-slate-700 shadow-sm hover:bg-slate-100"
    >
      ↓ CSV
    </a>
  );
}

function DepositForm({ portfolioId }: { portfolioId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [amount, setAmount] = useState("");
  const [currency, setCurrency] = useState<string>("USD");
  const [source, setSource] = useState("");
  const [localError, setLocalError] = useState<string | null>(null);
  const deposit = useMutation(
    trpc.treasury.deposit.mutationOptions({
      onSuccess: async () => {
        setAmount("");
        setSource("");
        await queryClient.invalidateQueries();
      },
    }),
  );
  const errors = fieldErrors(deposit.error);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const amountMinor = toMinorUnits(amount, currency);
    if (!amountMinor) {
      setLocalError(`A positive amount in ${currency}, e.g. 1500.00`);
      return;
    }
    setLocalError(null);
    deposit.mutate({ portfolioId, amountMinor, currency, source });
  }

  return (
    <Card>
      <CardHeader
        title="Deposit capital"
        description="Money paid into the portfolio treasury: it becomes treasury cash, available to allocate to ventures."
      />
      <form onSubmit={onSubmit} className="grid gap-3 p-5 sm:grid-cols-[1fr_8rem_2fr_auto] sm:items-start">
        <Field label="Amount" error={localError ?? errors.amountMinor}>
          <Input
            name="amount"
            inputMode="decimal"
            placeholder="25000.00"
            value={amount}
            onChange={(e) => setAmount(e.target.value)}
            aria-invalid={localError || errors.amountMinor ? true : undefined}
          />
        </Field>
        <Field label="Currency" error={errors.currency}>
          <select
            name="currency"
            className="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm"
            value={currency}
            onChange={(e) => setCurrency(e.target.value)}
          >
            {fundingCurrencies.map((c) => (
              <option key={c} value={c}>
                {c}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Source" error={errors.source}>
          <Input
            name="source"
            placeholder="Seed round wire from the founders"
            value={source}
            onChange={(e) => setSource(e.target.value)}
            aria-invalid={errors.source ? true : undefined}
          />
        </Field>
        <Button type="submit" disabled={deposit.isPending} className="sm:mt-6">
          {deposit.isPending ? "Depositing…" : "Deposit"}
        </Button>
      </form>
      {deposit.error && Object.keys(errors).length === 0 ? (
        <p role="alert" className="px-5 pb-4 text-sm text-red-600">
          {deposit.error.message}
        </p>
      ) : null}
      {deposit.data ? (
        <p className="px-5 pb-4 text-sm text-emerald-700" data-testid="deposit-result">
          Deposited {formatMinor(BigInt(deposit.data.amountMinor), deposit.data.currency)} ({deposit.data.id})
        </p>
      ) : null}
    </Card>
  );
}

function TrialBalance({ portfolioId }: { portfolioId: string }) {
  const trpc = useTRPC();
  const tb = useQuery(trpc.treasury.trialBalance.queryOptions({ portfolioId }));
  return (
    <Card>
      <CardHeader
        title="Trial balance"
        description="Every account's posted balance as a debit or a credit. Each currency's columns add up to the same total: the difference is zero."
        action={<CsvLink href={csvHref(portfolioId, "trial-balance")} label="trial balance" />}
      />
      {tb.isLoading ? (
        <p className="px-5 py-6 text-sm text-slate-500">Loading…</p>
      ) : tb.error ? (
        <p className="px-5 py-6 text-sm text-red-600">{tb.error.message}</p>
      ) : tb.data && tb.data.currencies.length > 0 ? (
        <div className="divide-y divide-slate-100" data-testid="trial-balance">
          {tb.data.currencies.map((section) => (
            <table
              key={section.currency}
              className="w-full text-sm"
              data-testid={`trial-balance-${section.currency}`}
            >
              <thead className="text-left text-xs uppercase tracking-wide text-slate-500">
                <tr>
                  <th className="px-5 py-2">Book</th>
                  <th className="px-2 py-2">Account</th>
                  <th className="px-2 py-2">Kind</th>
                  <th className="px-2 py-2 text-right">Debit</th>
                  <th className="px-5 py-2 text-right">Credit</th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-50">
                {section.rows.map((row) => (
                  <tr key={row.accountId} data-testid="trial-balance-row">
                    <td className="px-5 py-1.5 text-slate-700">
                      {row.ventureId ? (
                        <Link href={`/ventures/${row.ventureId}`} className="hover:underline">
                          {row.ventureName ?? row.ventureId}
                        </Link>
                      ) : (
                        "Portfolio treasury"
                      )}
                    </td>
                    <td className="px-2 py-1.5 font-mono text-xs">{row.code}</td>
                    <td className="px-2 py-1.5 text-slate-500">{row.kind}</td>
                    <td className="px-2 py-1.5 text-right font-mono text-xs">
                      {row.debitMinor > 0n ? formatMinor(row.debitMinor, section.currency) : ""}
                    </td>
                    <td className="px-5 py-1.5 text-right font-mono text-xs">
                      {row.creditMinor > 0n ? formatMinor(row.creditMinor, section.currency) : ""}
                    </td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr className="border-t-2 border-slate-300 font-semibold" data-testid="trial-balance-total">
                  <td className="px-5 py-2" colSpan={3}>
                    Total {section.currency}{" "}
                    <span data-testid="trial-balance-difference" className="ml-2">
                      {section.differenceMinor === 0n ? (
                        <Badge tone="green">Balanced · difference {formatMinor(0n, section.currency)}</Badge>
                      ) : (
                        <Badge tone="red">
                          Out of balance by {formatMinor(section.differenceMinor, section.currency)}
                        </Badge>
                      )}
                    </span>
                  </td>
                  <td
                    className="px-2 py-2 text-right font-mono text-xs"
                    data-testid="trial-balance-debit-total"
                  >
                    {formatMinor(section.totalDebitMinor, section.currency)}
                  </td>
                  <td
                    className="px-5 py-2 text-right font-mono text-xs"
                    data-testid="trial-balance-credit-total"
                  >
                    {formatMinor(section.totalCreditMinor, section.currency)}
                  </td>
                </tr>
                {section.totalPendingDebitsMinor > 0n ? (
                  <tr className="text-xs text-slate-500">
                    <td className="px-5 pb-2" colSpan={5}>
                      Held (pending) {formatMinor(section.totalPendingDebitsMinor, section.currency)} debit ·{" "}
                      {formatMinor(section.totalPendingCreditsMinor, section.currency)} credit
                    </td>
                  </tr>
                ) : null}
              </tfoot>
            </table>
          ))}
        </div>
      ) : (
        <p className="px-5 py-6 text-sm text-slate-500">
          No accounts yet: deposit capital to open the treasury.
        </p>
      )}
    </Card>
  );
}

function ProfitAndLoss({ portfolioId }: { portfolioId: string }) {
  const trpc = useTRPC();
  const today = dayOf(new Date());
  const [from, setFrom] = useState(dayOf(new Date(Date.now() - 29 * 86_400_000)));
  const [to, setTo] = useState(today);
  const pnl = useQuery(trpc.treasury.profitAndLoss.queryOptions({ portfolioId, from, to }));
  return (
    <Card>
      <CardHeader
        title="Profit and loss"
        description="Revenue, expenses by category and net income per venture over the period (both days included)."
        action={<CsvLink href={csvHref(portfolioId, "pnl", { from, to })} label="P&L" />}
      />
      <div className="flex flex-wrap items-end gap-3 px-5 pt-4">
        <Field label="From">
          <Input type="date" value={from} max={to} onChange={(e) => setFrom(e.target.value)} />
        </Field>
        <Field label="To">
          <Input type="date" value={to} min={from} onChange={(e) => setTo(e.target.value)} />
        </Field>
      </div>
      {pnl.error ? <p className="px-5 py-4 text-sm text-red-600">{pnl.error.message}</p> : null}
      <table className="mt-3 w-full text-sm" data-testid="pnl">
        <thead className="text-left text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th className="px-5 py-2">Venture</th>
            <th className="px-2 py-2 text-right">Revenue</th>
            <th className="px-2 py-2">Expenses by category</th>
            <th className="px-2 py-2 text-right">Expenses</th>
            <th className="px-5 py-2 text-right">Net income</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-50">
          {(pnl.data?.ventures ?? []).map((line) => (
            <tr key={`${line.ventureId}:${line.currency}`} data-testid="pnl-row">
              <td className="px-5 py-1.5">
                <Link href={`/ventures/${line.ventureId}`} className="font-medium hover:underline">
                  {line.ventureName}
                </Link>
              </td>
              <td className="px-2 py-1.5 text-right font-mono text-xs">
                {formatMinor(line.revenueMinor, line.currency)}
              </td>
              <td className="px-2 py-1.5 text-xs text-slate-500">
                {line.expensesByCategory
                  .map((e) => `${e.category} ${formatMinor(e.amountMinor, line.currency)}`)
                  .join(" · ") || "—"}
              </td>
              <td className="px-2 py-1.5 text-right font-mono text-xs">
                {formatMinor(line.expensesMinor, line.currency)}
              </td>
              <td
                className={`px-5 py-1.5 text-right font-mono text-xs ${line.netIncomeMinor < 0n ? "text-red-700" : "text-emerald-700"}`}
              >
                {formatMinor(line.netIncomeMinor, line.currency)}
              </td>
            </tr>
          ))}
        </tbody>
        <tfoot>
          {(pnl.data?.totals ?? []).map((t) => (
            <tr
              key={t.currency}
              className="border-t-2 border-slate-300 font-semibold"
              data-testid="pnl-total"
            >
              <td className="px-5 py-2">Total {t.currency}</td>
              <td className="px-2 py-2 text-right font-mono text-xs">
                {formatMinor(t.revenueMinor, t.currency)}
              </td>
              <td />
              <td className="px-2 py-2 text-right font-mono text-xs">
                {formatMinor(t.expensesMinor, t.currency)}
              </td>
              <td className="px-5 py-2 text-right font-mono text-xs">
                {formatMinor(t.netIncomeMinor, t.currency)}
              </td>
            </tr>
          ))}
        </tfoot>
      </table>
    </Card>
  );
}

function Runway({ portfolioId }: { portfolioId: string }) {
  const trpc = useTRPC();
  const [windowDays, setWindowDays] = useState(30);
  const runway = useQuery(trpc.treasury.runway.queryOptions({ portfolioId, windowDays }));
  return (
    <Card>
      <CardHeader
        title="Burn and runway"
        description="Net spend per day over the window, and how many days the money available lasts at that rate."
        action={
          <div className="flex items-center gap-2">
            <select
              aria-label="Burn window"
              className="rounded-md border border-slate-300 bg-white px-2 py-1 text-xs"
              value={windowDays}
              onChange={(e) => setWindowDays(Number(e.target.value))}
            >
              {[7, 30, 90].map((d) => (
                <option key={d} value={d}>
                  last {d} days
                </option>
              ))}
            </select>
            <CsvLink href={csvHref(portfolioId, "runway", { windowDays })} label="runway" />
          </div>
        }
      />
      {runway.data && runway.data.portfolio.length > 0 ? (
        <dl className="grid grid-cols-2 gap-4 border-b border-slate-100 px-5 py-4 text-sm sm:grid-cols-4">
          {runway.data.portfolio.map((p) => (
            <div key={p.currency} className="contents">
              <div>
                <dt className="text-slate-500">Treasury cash ({p.currency})</dt>
                <dd className="font-semibold" data-testid={`treasury-cash-${p.currency}`}>
                  {formatMinor(p.treasuryCashAvailableMinor, p.currency)}
                </dd>
              </div>
              <div>
                <dt className="text-slate-500">Ventures' budgets and cash</dt>
                <dd className="font-semibold">{formatMinor(p.venturesAvailableMinor, p.currency)}</dd>
              </div>
              <div>
                <dt className="text-slate-500">Net burn per day</dt>
                <dd className="font-semibold">{formatMinor(p.netBurnPerDayMinor, p.currency)}</dd>
              </div>
              <div>
                <dt className="text-slate-500">Portfolio runway</dt>
                <dd className="font-semibold">
                  {p.runwayDays === null ? "not burning" : `${p.runwayDays} days`}
                </dd>
              </div>
            </div>
          ))}
        </dl>
      ) : null}
      <table className="w-full text-sm" data-testid="runway">
        <thead className="text-left text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th className="px-5 py-2">Venture</th>
            <th className="px-2 py-2 text-right">Net burn / day</th>
            <th className="px-2 py-2 text-right">Available</th>
            <th className="px-5 py-2 text-right">Runway</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-50">
          {(runway.data?.ventures ?? []).map((v) => (
            <tr key={`${v.ventureId}:${v.currency}`}>
              <td className="px-5 py-1.5">{v.ventureName}</td>
              <td className="px-2 py-1.5 text-right font-mono text-xs">
                {formatMinor(v.netBurnPerDayMinor, v.currency)}
              </td>
              <td className="px-2 py-1.5 text-right font-mono text-xs">
                {formatMinor(v.availableMinor, v.currency)}
              </td>
              <td className="px-5 py-1.5 text-right">
                {v.runwayDays === null ? (
                  <span className="text-slate-400">not burning</span>
                ) : (
                  `${v.runwayDays} days`
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Card>
  );
}

function Deposits({ portfolioId }: { portfolioId: string }) {
  const trpc = useTRPC();
  const deposits = useQuery(trpc.treasury.listDeposits.queryOptions({ portfolioId, limit: 10 }));
  if (!deposits.data || deposits.data.length === 0) return null;
  return (
    <Card>
      <CardHeader title="Recent deposits" />
      <ul className="divide-y divide-slate-100 text-sm" data-testid="deposit-list">
        {deposits.data.map((d) => (
          <li key={d.id} className="flex items-center gap-3 px-5 py-2">
            <span className="font-mono text-xs">{formatMinor(BigInt(d.amountMinor), d.currency)}</span>
            <span className="text-slate-700">{d.source}</span>
            <span className="ml-auto text-xs text-slate-500">{d.createdAt.toLocaleString()}</span>
          </li>
        ))}
      </ul>
    </Card>
  );
}

export function TreasuryPage() {
  const portfolio = useCurrentPortfolio();
  const canDeposit = portfolio.role === "finance_controller" || portfolio.role === "admin";
  return (
    <div className="grid gap-6">
      <div className="flex items-end justify-between">
        <div>
          <h1 className="text-xl font-semibold text-slate-900">Treasury</h1>
          <p className="text-sm text-slate-500">
            {portfolio.name}: the double-entry books of the treasury and every venture.
          </p>
        </div>
        <CsvLink href={csvHref(portfolio.id, "daily")} label="daily revenue and spend" />
      </div>
      {canDeposit ? <DepositForm portfolioId={portfolio.id} /> : null}
      <TrialBalance portfolioId={portfolio.id} />
      <div className="grid gap-6 xl:grid-cols-2">
        <ProfitAndLoss portfolioId={portfolio.id} />
        <Runway portfolioId={portfolio.id} />
      </div>
      <TransferList />
      <Deposits portfolioId={portfolio.id} />
    </div>
  );
}

"use client";
// The founder dashboard (CTRL-002): the portfolio at a glance — KPI cards (revenue, spend, burn,
// runway, cash, what waits for approval), revenue against spend per day, burn and runway per
// venture, the ventures with stage and health, and the activity feed. The live feed in the header
// (components/live/live-updates.tsx) refreshes these queries whenever an event arrives.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import { eventLabel, formatMinor } from "@/components/orchestration/format";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { chartValue } from "@/components/treasury/money";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";
import { Card, CardHeader } from "@/components/ui/card";

const healthTone = { healthy: "green", warning: "amber", critical: "red" } as const;
const refreshMs = 15_000;
/** Runway bars are capped here so one long-lived venture does not flatten the others. */
const runwayChartCapDays = 365;

function Kpi({
  label,
  value,
  hint,
  testId,
}: {
  label: string;
  value: string;
  hint?: string;
  testId: string;
}) {
  return (
    <Card className="px-4 py-3">
      <p className="text-xs font-medium uppercase tracking-wide text-slate-500">{label}</p>
      <p className="mt-1 text-xl font-semibold text-slate-900" data-testid={testId}>
        {value}
      </p>
      {hint ? <p className="mt-0.5 text-xs text-slate-500">{hint}</p> : null}
    </Card>
  );
}

function shortDay(day: string): string {
  return day.slice(5);
}

export function PortfolioDashboard() {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const portfolioId = portfolio.id;
  const overview = useQuery({
    ...trpc.dashboard.overview.queryOptions({ portfolioId, windowDays: 30 }),
    refetchInterval: refreshMs,
  });
  const ventures = useQuery({
    ...trpc.dashboard.ventures.queryOptions({ portfolioId, windowDays: 30 }),
    refetchInterval: refreshMs,
  });
  const series = useQuery({
    ...trpc.dashboard.series.queryOptions({ portfolioId, days: 30 }),
    refetchInterval: refreshMs,
  });
  const [activityLimit, setActivityLimit] = useState(20);
  const activity = useQuery({
    ...trpc.dashboard.activity.queryOptions({ portfolioId, limit: activityLimit }),
    refetchInterval: refreshMs,
  });

  // A portfolio without any ledger account yet shows zeros in USD rather than nothing.
  const kpis =
    overview.data?.currencies[0] ??
    (overview.data
      ? {
          currency: "USD",
          revenueMinor: 0n,
          spendMinor: 0n,
          netBurnPerDayMinor: 0n,
          grossBurnPerDayMinor: 0n,
          runwayDays: null,
          cashMinor: 0n,
          treasuryCashMinor: 0n,
          venturesAvailableMinor: 0n,
        }
      : null);
  const currency = kpis?.currency ?? "USD";
  const points = series.data?.currencies.find((c) => c.currency === currency)?.points ?? [];
  const revenueVsSpend = points.map((p) => ({
    day: shortDay(p.day),
    revenue: chartValue(p.revenueMinor, currency),
    spend: chartValue(p.expensesMinor, currency),
  }));
  const perVenture = (ventures.data ?? [])
    .filter((v) => v.currency === currency)
    .map((v) => ({
      name: v.name.length > 18 ? `${v.name.slice(0, 17)}…` : v.name,
      burn: chartValue(v.netBurnPerDayMinor > 0n ? v.netBurnPerDayMinor : 0n, currency),
      runway: v.runwayDays === null ? runwayChartCapDays : Math.min(v.runwayDays, runwayChartCapDays),
    }));
  const pending = overview.data?.pendingApprovals;

  return (
    <div className="grid gap-6">
      <div className="flex items-end justify-between">
        <div>
          <h1 className="text-xl font-semibold text-slate-900">Portfolio overview</h1>
          <p className="text-sm text-slate-500">
            {portfolio.name} · last {overview.data?.window.days ?? 30} days
            {overview.data ? ` · ${overview.data.ventures.total} ventures` : ""}
          </p>
        </div>
        <Link href="/treasury" className="text-sm text-slate-600 hover:text-slate-900">
          Treasury and reports →
        </Link>
      </div>
      {overview.error ? <p className="text-sm text-red-600">{overview.error.message}</p> : null}

      <div className="grid grid-cols-2 gap-4 md:grid-cols-3 xl:grid-cols-6" data-testid="kpi-cards">
        <Kpi
          label="Revenue"
          testId="kpi-revenue"
          value={kpis ? formatMinor(kpis.revenueMinor, currency) : "—"}
          hint="last 30 days"
        />
        <Kpi
          label="Spend"
          testId="kpi-spend"
          value={kpis ? formatMinor(kpis.spendMinor, currency) : "—"}
          hint="last 30 days"
        />
        <Kpi
          label="Net burn"
          testId="kpi-burn"
          value={kpis ? `${formatMinor(kpis.netBurnPerDayMinor, currency)}/day` : "—"}
          hint={kpis ? `gross ${formatMinor(kpis.grossBurnPerDayMinor, currency)}/day` : undefined}
        />
        <Kpi
          label="Runway"
          testId="kpi-runway"
          value={kpis ? (kpis.runwayDays === null ? "Not burning" : `${kpis.runwayDays} days`) : "—"}
          hint="at the current net burn"
        />
        <Kpi
          label="Cash"
          testId="kpi-cash"
          value={kpis ? formatMinor(kpis.cashMinor, currency) : "—"}
          hint={kpis ? `treasury ${formatMinor(kpis.treasuryCashMinor, currency)}` : undefined}
        />
        <Kpi
          label="Pending approvals"
          testId="kpi-approvals"
          value={pending ? String(pending.moneyIntents + pending.toolCalls) : "—"}
          hint={
            pending
              ? `${pending.moneyIntents} money · ${pending.toolCalls} tool · ${overview.data?.escalatedTasks ?? 0} escalated`
              : undefined
          }
        />
      </div>

      <div className="grid gap-6 xl:grid-cols-2">
        <Card>
          <CardHeader title="Revenue and spend per day" description={`${currency}, last 30 days`} />
          <div className="h-64 px-2 py-4" data-testid="chart-revenue-spend">
            {revenueVsSpend.length > 0 ? (
              <ResponsiveContainer width="100%" height="100%">
                <LineChart data={revenueVsSpend} margin={{ left: 8, right: 16 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                  <XAxis dataKey="day" tick={{ fontSize: 11 }} />
                  <YAxis tick={{ fontSize: 11 }} width={64} />
                  <Tooltip />
                  <Legend />
                  <Line
                    type="monotone"
                    dataKey="revenue"
                    name="Revenue"
                    stroke="#059669"
                    dot={false}
                    strokeWidth={2}
                  />
                  <Line
                    type="monotone"
                    dataKey="spend"
                    name="Spend"
                    stroke="#dc2626"
                    dot={false}
                    strokeWidth={2}
                  />
                </LineChart>
              </ResponsiveContainer>
            ) : (
              <p className="px-3 text-sm text-slate-500">No revenue or spend in the last 30 days.</p>
            )}
          </div>
        </Card>
        <Card>
          <CardHeader
            title="Burn and runway per venture"
            description={`Net burn per day (${currency}) and runway in days, capped at ${runwayChartCapDays}`}
          />
          <div className="h-64 px-2 py-4" data-testid="chart-burn-runway">
            {perVenture.length > 0 ? (
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={perVenture} margin={{ left: 8, right: 16 }}>
                  <CartesianGrid strokeDasharray="3 3" stroke="#e2e8f0" />
                  <XAxis
                    dataKey="name"
                    tick={{ fontSize: 10 }}
                    interval={0}
                    angle={-20}
                    textAnchor="end"
                    height={48}
                  />
                  <YAxis yAxisId="burn" tick={{ fontSize: 11 }} width={64} />
                  <YAxis yAxisId="runway" orientation="right" tick={{ fontSize: 11 }} width={40} />
                  <Tooltip />
                  <Legend />
                  <Bar yAxisId="burn" dataKey="burn" name="Net burn / day" fill="#f97316" />
                  <Bar yAxisId="runway" dataKey="runway" name="Runway (days)" fill="#0ea5e9" />
                </BarChart>
              </ResponsiveContainer>
            ) : (
              <p className="px-3 text-sm text-slate-500">No ventures yet.</p>
            )}
          </div>
        </Card>
      </div>

      <div className="grid gap-6 xl:grid-cols-3">
        <Card className="xl:col-span-2">
          <CardHeader
            title="Ventures"
            description="Stage, money and health; the reasons say what needs a look."
          />
          <table className="w-full text-sm" data-testid="dashboard-ventures">
            <thead className="text-left text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th className="px-5 py-2">Venture</th>
                <th className="px-2 py-2">Stage</th>
                <th className="px-2 py-2">Health</th>
                <th className="px-2 py-2 text-right">Revenue</th>
                <th className="px-2 py-2 text-right">Burn / day</th>
                <th className="px-2 py-2 text-right">Runway</th>
                <th className="px-5 py-2 text-right">Open tasks</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {(ventures.data ?? []).map((v) => (
                <tr key={v.id} data-testid="dashboard-venture-row">
                  <td className="px-5 py-2">
                    <Link href={`/ventures/${v.id}`} className="font-medium text-slate-900 hover:underline">
                      {v.name}
                    </Link>
                    {v.paused ? <span className="ml-2 text-xs text-amber-700">paused</span> : null}
                  </td>
                  <td className="px-2 py-2 capitalize text-slate-700">{v.stage}</td>
                  <td className="px-2 py-2">
                    <span title={v.reasons.join("\n")}>
                      <Badge tone={healthTone[v.health]}>{v.health}</Badge>
                    </span>
                    {v.reasons[0] ? <p className="mt-0.5 text-xs text-slate-500">{v.reasons[0]}</p> : null}
                  </td>
                  <td className="px-2 py-2 text-right font-mono text-xs">
                    {formatMinor(v.revenueMinor, v.currency)}
                  </td>
                  <td className="px-2 py-2 text-right font-mono text-xs">
                    {formatMinor(v.netBurnPerDayMinor, v.currency)}
                  </td>
                  <td className="px-2 py-2 text-right">
                    {v.runwayDays === null ? "—" : `${v.runwayDays} d`}
                  </td>
                  <td className="px-5 py-2 text-right">
                    {v.tasks.open}
                    {v.tasks.escalated > 0 ? (
                      <span className="ml-1 text-xs text-red-700">({v.tasks.escalated} escalated)</span>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {ventures.data && ventures.data.length === 0 ? (
            <p className="px-5 py-6 text-sm text-slate-500">
              No ventures yet. <Link href="/ventures">Create one</Link>.
            </p>
          ) : null}
        </Card>
        <Card>
          <CardHeader title="Activity" description="The newest events of this portfolio" />
          <ul className="divide-y divide-slate-100" data-testid="activity-feed">
            {(activity.data?.items ?? []).map((item) => (
              <li key={item.id} className="px-5 py-2 text-sm" data-testid="activity-item">
                <div className="flex items-baseline gap-2">
                  <span className="font-medium text-slate-800">{eventLabel(item.type)}</span>
                  <span className="ml-auto whitespace-nowrap text-xs text-slate-400">
                    {item.occurredAt.toLocaleTimeString()}
                  </span>
                </div>
                <p className="truncate text-xs text-slate-500" title={`${item.streamType} ${item.streamId}`}>
                  {item.type.split(".")[0]} · {item.streamType} {item.streamId} · {item.actor.type}
                </p>
              </li>
            ))}
          </ul>
          {activity.data?.nextBeforePosition && activityLimit < 100 ? (
            <button
              type="button"
              className="w-full border-t border-slate-100 px-5 py-2 text-sm text-slate-600 hover:bg-slate-50"
              onClick={() => setActivityLimit(Math.min(100, activityLimit + 20))}
            >
              Show more
            </button>
          ) : null}
        </Card>
      </div>
    </div>
  );
}

import { Badge } from "@/components/ui/badge";
import { Card, CardHeader } from "@/components/ui/card";
import { serverCaller } from "@/server/trpc/server-caller";

export const dynamic = "force-dynamic";

export default async function SystemPage() {
  const report = await (await serverCaller()).system.health();
  const rows = [
    ...Object.entries(report.checks).map(([name, c]) => ({
      name,
      ok: c.ok,
      detail: c.detail ?? `${c.latencyMs} ms`,
    })),
    ...Object.entries(report.workers).map(([name, w]) => ({
      name: `worker: ${name}`,
      ok: w.ok,
      detail:
        w.lastBeatAgeMs === null
          ? "no heartbeat"
          : `last beat ${w.lastBeatAgeMs} ms ago · ${w.instances} instance(s)`,
    })),
  ];
  return (
    <Card>
      <CardHeader
        title="System health"
        description="PostgreSQL, NATS JetStream, Redis and every worker's heartbeat"
        action={report.ok ? <Badge tone="green">All healthy</Badge> : <Badge tone="red">Degraded</Badge>}
      />
      <ul className="divide-y divide-slate-100" data-testid="health-list">
        {rows.map((row) => (
          <li key={row.name} className="flex items-center justify-between px-5 py-3 text-sm">
            <span className="font-medium">{row.name}</span>
            <span className="flex items-center gap-3 text-slate-500">
              {row.detail}
              {row.ok ? <Badge tone="green">up</Badge> : <Badge tone="red">down</Badge>}
            </span>
          </li>
        ))}
      </ul>
    </Card>
  );
}

"use client";
// One event as stored: its fields, payload and envelope, and its place in the chain with the
// events before and after it (content shown only for this portfolio's events).
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";
import { Card, CardHeader } from "@/components/ui/card";
import { formatTime } from "./format";

type Neighbour = {
  sequence: number;
  hash: string;
  prevHash: string;
  id: string | null;
  type: string | null;
} | null;

function NeighbourCard({ label, neighbour }: { label: string; neighbour: Neighbour }) {
  if (!neighbour) {
    return (
      <div className="rounded-md border border-dashed border-slate-200 p-3 text-xs text-slate-400">
        {label}: none (end of the chain)
      </div>
    );
  }
  return (
    <div className="space-y-1 rounded-md border border-slate-200 p-3 text-xs">
      <div className="text-slate-500">{label}</div>
      {neighbour.id ? (
        <Link
          href={`/audit/events/${neighbour.sequence}`}
          className="font-medium text-slate-900 hover:underline"
        >
          #{neighbour.sequence} · {neighbour.type}
        </Link>
      ) : (
        <div className="font-medium text-slate-700">#{neighbour.sequence} · another portfolio's event</div>
      )}
      <div className="break-all font-mono text-slate-500">hash {neighbour.hash}</div>
    </div>
  );
}

export function AuditEventDetail({ sequence }: { sequence: number }) {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const event = useQuery(trpc.compliance.getEvent.queryOptions({ portfolioId: portfolio.id, sequence }));
  const back = (
    <Link href="/audit" className="text-sm text-slate-500 hover:text-slate-900">
      ← Audit
    </Link>
  );
  if (event.error) {
    return (
      <div className="space-y-4">
        {back}
        <p className="text-sm text-red-600" role="alert">
          {event.error.message}
        </p>
      </div>
    );
  }
  if (!event.data) return <p className="text-sm text-slate-500">Loading…</p>;
  const e = event.data;
  return (
    <div className="space-y-6">
      {back}
      <Card>
        <CardHeader
          title={
            <span>
              #{e.sequence} <span className="font-mono text-base">{e.type}</span>
            </span>
          }
          description={`Occurred ${formatTime(e.occurredAt)} · sealed ${formatTime(e.sealedAt)}`}
          action={
            <div className="flex gap-2">
              <Badge tone={e.hashValid ? "green" : "red"}>
                {e.hashValid ? "hash matches content" : "content modified"}
              </Badge>
              <Badge tone={e.linksToPrevious ? "green" : "red"}>
                {e.linksToPrevious ? "linked" : "link broken"}
              </Badge>
            </div>
          }
        />
        <dl className="grid grid-cols-1 gap-x-6 gap-y-3 px-5 py-4 text-sm sm:grid-cols-3">
          {[
            ["Event id", e.id],
            ["Stream", `${e.streamType}/${e.streamId}`],
            ["Actor", `${e.actor.type}:${e.actor.id}`],
            ["Correlation", e.correlationId],
            ["Causation", e.causationId ?? "—"],
            ["Schema version", String(e.schemaVersion)],
          ].map(([label, value]) => (
            <div key={label}>
              <dt className="text-slate-500">{label}</dt>
              <dd className="break-all font-mono text-xs">{value}</dd>
            </div>
          ))}
        </dl>
      </Card>
      <Card>
        <CardHeader
          title="Place in the chain"
          description="hash = SHA-256(prevHash | sequence | envelope); each event links to the hash of the one before it."
        />
        <div className="grid gap-3 px-5 py-4 md:grid-cols-3">
          <NeighbourCard label="Previous" neighbour={e.previous} />
          <div
            className="space-y-1 rounded-md border-2 border-slate-900 p-3 text-xs"
            data-testid="event-chain"
          >
            <div className="text-slate-500">This event</div>
            <div className="break-all font-mono text-slate-600">prevHash {e.prevHash}</div>
            <div className="break-all font-mono text-slate-900">hash {e.hash}</div>
          </div>
          <NeighbourCard label="Next" neighbour={e.next} />
        </div>
      </Card>
      <Card>
        <CardHeader
          title="Payload"
          description={
            e.personalData
              ? `Holds personal data of ${e.personalData.subjectType} ${e.personalData.subjectId} (${e.personalData.fields.join(", ")}), sealed with their own key.`
              : undefined
          }
          action={
            e.personalData ? (
              <span data-testid="personal-data-state">
                <Badge
                  tone={
                    e.personalData.state === "readable"
                      ? "green"
                      : e.personalData.state === "erased"
                        ? "red"
                        : "neutral"
                  }
                >
                  {e.personalData.state === "readable"
                    ? "personal data opened"
                    : e.personalData.state === "erased"
                      ? "erased: key destroyed"
                      : e.personalData.state === "withheld"
                        ? "personal data withheld for your role"
                        : "personal data unreadable"}
                </Badge>
              </span>
            ) : undefined
          }
        />
        <pre className="overflow-x-auto px-5 py-4 text-xs">{JSON.stringify(e.payload, null, 2)}</pre>
      </Card>
      <Card>
        <CardHeader title="Stored envelope" description="The exact bytes the hash covers (canonical JSON)." />
        <pre className="overflow-x-auto whitespace-pre-wrap break-all px-5 py-4 font-mono text-xs text-slate-600">
          {e.envelope}
        </pre>
      </Card>
    </div>
  );
}

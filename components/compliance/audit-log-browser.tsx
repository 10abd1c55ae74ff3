"use client";
// The audit log browser: the portfolio's events newest first, filtered by type, actor, venture or
// stream, time and text in the envelope; each row opens the event with its chain neighbours.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { useTRPC } from "@/components/trpc/react";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { Field, Input } from "@/components/ui/field";
import { formatTime, shortHash } from "./format";

type Filters = {
  type: string;
  actor: string;
  ventureId: string;
  streamId: string;
  from: string;
  to: string;
  text: string;
};

const empty: Filters = { type: "", actor: "", ventureId: "", streamId: "", from: "", to: "", text: "" };

export function AuditLogBrowser() {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const [draft, setDraft] = useState<Filters>(empty);
  const [applied, setApplied] = useState<Filters>(empty);
  // Cursors of the pages before this one, so "Newer" can go back.
  const [cursors, setCursors] = useState<Array<number | undefined>>([undefined]);
  const before = cursors.at(-1);
  const given = Object.fromEntries(
    Object.entries(applied).filter(([, v]) => v.trim() !== ""),
  ) as Partial<Filters>;
  const events = useQuery({
    ...trpc.compliance.searchEvents.queryOptions({
      portfolioId: portfolio.id,
      ...given,
      beforeSequence: before,
      limit: 50,
    }),
    refetchInterval: before === undefined ? 5_000 : false,
  });

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    setApplied(draft);
    setCursors([undefined]);
  }
  const set = (key: keyof Filters) => (e: { target: { value: string } }) =>
    setDraft({ ...draft, [key]: e.target.value });

  return (
    <Card>
      <CardHeader
        title="Audit log"
        description={`Events of ${portfolio.name}, newest first${events.data ? ` · chain head at sequence ${events.data.headSequence}` : ""}`}
      />
      <form
        onSubmit={onSubmit}
        className="grid gap-3 border-b border-slate-100 px-5 py-4 sm:grid-cols-4"
        data-testid="audit-filters"
      >
        <Field label="Type">
          <Input
            value={draft.type}
            onChange={set("type")}
            placeholder="treasury. or orchestration.venture_created"
            name="type"
          />
        </Field>
        <Field label="Actor">
          <Input value={draft.actor} onChange={set("actor")} placeholder="user:usr_… or an id" name="actor" />
        </Field>
        <Field label="Venture">
          <Input value={draft.ventureId} onChange={set("ventureId")} placeholder="ven_…" name="ventureId" />
        </Field>
        <Field label="Stream id">
          <Input
            value={draft.streamId}
            onChange={set("streamId")}
            placeholder="any stream id"
            name="streamId"
          />
        </Field>
        <Field label="From (UTC)">
          <Input type="date" value={draft.from} onChange={set("from")} name="from" />
        </Field>
        <Field label="To (UTC, exclusive)">
          <Input type="date" value={draft.to} onChange={set("to")} name="to" />
        </Field>
        <Field label="Text in the envelope">
          <Input
            value={draft.text}
            onChange={set("text")}
            placeholder="e.g. a name or an amount"
            name="text"
          />
        </Field>
        <div className="flex items-end gap-2">
          <Button type="submit">Search</Button>
          <Button
            type="button"
            variant="secondary"
            onClick={() => {
              setDraft(empty);
              setApplied(empty);
              setCursors([undefined]);
            }}
          >
            Clear
          </Button>
        </div>
      </form>
      {events.error ? (
        <p role="alert" className="px-5 py-4 text-sm text-red-600">
          {events.error.message}
        </p>
      ) : !events.data ? (
        <p className="px-5 py-8 text-sm text-slate-500">Loading…</p>
      ) : events.data.events.length === 0 ? (
        <p className="px-5 py-8 text-sm text-slate-500">No events match.</p>
      ) : (
        <div className="overflow-x-auto">
          <table className="w-full text-left text-sm" data-testid="audit-log">
            <thead className="bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th className="px-5 py-2 font-medium">Seq</th>
                <th className="px-3 py-2 font-medium">Type</th>
                <th className="px-3 py-2 font-medium">Stream</th>
                <th className="px-3 py-2 font-medium">Actor</th>
                <th className="px-3 py-2 font-medium">Occurred</th>
                <th className="px-5 py-2 font-medium">Hash</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {events.data.events.map((e) => (
                <tr key={e.sequence} className="hover:bg-slate-50" data-testid="audit-row">
                  <td className="px-5 py-2 tabular-nums">
                    <Link
                      href={`/audit/events/${e.sequence}`}
                      className="font-medium text-slate-900 hover:underline"
                    >
                      {e.sequence}
                    </Link>
                  </td>
                  <td className="px-3 py-2 font-mono text-xs">{e.type}</td>
                  <td className="px-3 py-2 text-xs text-slate-600">
                    {e.streamType}/<span className="font-mono">{e.streamId}</span>
                  </td>
                  <td className="px-3 py-2 text-xs text-slate-600">
                    {e.actor.type}:<span className="font-mono">{e.actor.id}</span>
                  </td>
                  <td className="px-3 py-2 text-xs text-slate-600">{formatTime(e.occurredAt)}</td>
                  <td className="px-5 py-2 font-mono text-xs text-slate-500">{shortHash(e.hash, 10)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="flex items-center justify-between border-t border-slate-100 px-5 py-3">
        <Button
          variant="secondary"
          disabled={cursors.length <= 1}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          ← Newer
        </Button>
        <Button
          variant="secondary"
          disabled={!events.data?.nextBeforeSequence}
          onClick={() => {
            const next = events.data?.nextBeforeSequence;
            if (next) setCursors([...cursors, next]);
          }}
        >
          Older →
        </Button>
      </div>
    </Card>
  );
}

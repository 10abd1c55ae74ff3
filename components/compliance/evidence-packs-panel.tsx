"use client";
// Evidence packs: request one for a period, watch it build, download it, verify it offline.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { type FormEvent, useState } from "react";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { Field, Input } from "@/components/ui/field";
import { formatBytes, formatTime, isoDay, percent, shortHash } from "./format";
import { ProgressBar } from "./progress-bar";

const statusTone = { queued: "neutral", building: "blue", ready: "green", failed: "red" } as const;

function fieldErrors(error: unknown): Record<string, string> {
  if (error instanceof TRPCClientError) {
    const fields = (error.data as { fields?: Record<string, string> } | undefined)?.fields;
    if (fields) return fields;
  }
  return {};
}

export function EvidencePacksPanel() {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canExport = portfolio.role === "auditor" || portfolio.role === "admin";
  const today = new Date();
  const [from, setFrom] = useState(isoDay(new Date(today.getTime() - 90 * 86_400_000)));
  const [to, setTo] = useState(isoDay(new Date(today.getTime() + 86_400_000)));
  const packs = useQuery({
    ...trpc.compliance.listEvidencePacks.queryOptions({ portfolioId: portfolio.id }),
    enabled: canExport,
    // Poll while a pack is being built.
    refetchInterval: (query) =>
      query.state.data?.some((p) => p.status === "queued" || p.status === "building") ? 500 : 10_000,
  });
  const create = useMutation(
    trpc.compliance.createEvidencePack.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.compliance.listEvidencePacks.queryKey() });
      },
    }),
  );
  const errors = fieldErrors(create.error);

  if (!canExport) {
    return (
      <Card>
        <CardHeader
          title="Evidence packs"
          description="Auditors and admins build and download evidence packs."
        />
        <p className="px-5 py-6 text-sm text-slate-500">
          Your role ({portfolio.role.replace("_", " ")}) may browse and verify the audit trail, not export it.
        </p>
      </Card>
    );
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ portfolioId: portfolio.id, from, to });
  }

  return (
    <Card>
      <CardHeader
        title="Evidence packs"
        description="Events, checkpoints, keys, approvals, policy versions, the ledger's trial balance and findings for a period, in one signed archive."
      />
      <form
        onSubmit={onSubmit}
        className="flex flex-wrap items-end gap-3 border-b border-slate-100 px-5 py-4"
        data-testid="pack-form"
      >
        <div className="w-44">
          <Field label="From (UTC)" error={errors.from}>
            <Input
              type="date"
              value={from}
              onChange={(e) => setFrom(e.target.value)}
              name="from"
              aria-invalid={errors.from ? true : undefined}
            />
          </Field>
        </div>
        <div className="w-44">
          <Field label="To (UTC, exclusive)" error={errors.to}>
            <Input
              type="date"
              value={to}
              onChange={(e) => setTo(e.target.value)}
              name="to"
              aria-invalid={errors.to ? true : undefined}
            />
          </Field>
        </div>
        <Button type="submit" disabled={create.isPending}>
          {create.isPending ? "Requesting…" : "Build evidence pack"}
        </Button>
        {create.error && Object.keys(errors).length === 0 ? (
          <p role="alert" className="text-sm text-red-600">
            {create.error.message}
          </p>
        ) : null}
      </form>
      {packs.isLoading ? (
        <p className="px-5 py-6 text-sm text-slate-500">Loading…</p>
      ) : !packs.data || packs.data.length === 0 ? (
        <p className="px-5 py-6 text-sm text-slate-500">No evidence packs yet.</p>
      ) : (
        <ul className="divide-y divide-slate-100" data-testid="pack-list">
          {packs.data.map((p) => (
            <li key={p.id} className="space-y-2 px-5 py-3.5" data-testid="pack-row" data-status={p.status}>
              <div className="flex flex-wrap items-center gap-3">
                <Badge tone={statusTone[p.status]}>{p.status}</Badge>
                <span className="text-sm font-medium">
                  {isoDay(p.from)} → {isoDay(p.to)}
                </span>
                <span className="font-mono text-xs text-slate-500">{p.id}</span>
                <span className="ml-auto text-xs text-slate-500">requested {formatTime(p.createdAt)}</span>
              </div>
              {p.status === "queued" || p.status === "building" ? (
                <div className="space-y-1">
                  <div className="flex justify-between text-xs text-slate-500">
                    <span>
                      {p.status === "queued"
                        ? "Waiting for the compliance worker…"
                        : `${p.phase ?? "building"}: ${p.eventsWritten.toLocaleString()} of ${p.eventsTotal.toLocaleString()} events`}
                    </span>
                    <span className="tabular-nums">{percent(p.eventsWritten, p.eventsTotal)}%</span>
                  </div>
                  <ProgressBar value={percent(p.eventsWritten, p.eventsTotal)} label={`Building ${p.id}`} />
                </div>
              ) : null}
              {p.status === "ready" ? (
                <div className="flex flex-wrap items-center gap-x-4 gap-y-1 text-xs text-slate-600">
                  <a
                    className="inline-flex items-center rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm font-medium text-slate-900 shadow-sm hover:bg-slate-100"
                    href={`/audit/packs/${p.id}/download?portfolioId=${encodeURIComponent(portfolio.id)}`}
                    data-testid="pack-download"
                  >
                    Download {formatBytes(p.bytes ?? 0)}
                  </a>
                  <span>
                    {p.eventsTotal.toLocaleString()} events (sequences {p.firstSequence}…{p.lastSequence})
                  </span>
                  <span className="font-mono">SHA-256 {shortHash(p.sha256 ?? "", 16)}</span>
                  <span>
                    signed by <span className="font-mono">{p.keyId}</span>
                  </span>
                  {p.coveredPortfolios.length > 1 ? (
                    <span>covers {p.coveredPortfolios.length} portfolios</span>
                  ) : null}
                  <span className="basis-full text-slate-500">
                    Verify offline:{" "}
                    <code className="rounded bg-slate-100 px-1">npx venture verify {p.fileName}</code>
                  </span>
                </div>
              ) : null}
              {p.status === "failed" ? (
                <p className="text-sm text-red-600" role="alert">
                  {p.error}
                </p>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

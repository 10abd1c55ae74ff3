"use client";
// The audit trail at a glance and the "Verify chain" button: a full verification (chain,
// signatures, checkpoint copies outside the database) run by the compliance worker, polled here.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { formatTime, percent, shortHash } from "./format";
import { ProgressBar } from "./progress-bar";

/** After this long still queued, say that no compliance worker seems to be running. */
const waitingHintMs = 8_000;

export function VerifyChainPanel() {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [verificationId, setVerificationId] = useState<string | null>(null);
  const overview = useQuery({
    ...trpc.compliance.overview.queryOptions({ portfolioId: portfolio.id }),
    refetchInterval: 10_000,
  });
  const start = useMutation(
    trpc.compliance.startVerification.mutationOptions({ onSuccess: (run) => setVerificationId(run.id) }),
  );
  const run = useQuery({
    ...trpc.compliance.getVerification.queryOptions({
      portfolioId: portfolio.id,
      verificationId: verificationId ?? "",
    }),
    enabled: verificationId !== null,
    refetchInterval: (query) => {
      const status = query.state.data?.status;
      if (status === "queued" || status === "running") return 400;
      return false;
    },
  });
  const current = verificationId ? run.data : undefined;
  const finished = current && current.status !== "queued" && current.status !== "running";
  // A finished run changes the overview (last verification) and maybe the findings.
  useEffect(() => {
    if (!finished) return;
    void queryClient.invalidateQueries({ queryKey: trpc.compliance.overview.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.compliance.listFindings.queryKey() });
  }, [finished, queryClient, trpc]);
  const busy = start.isPending || (current !== undefined && !finished);
  const o = overview.data;
  const progress =
    current?.phase === "checkpoints" || (finished && current)
      ? 100
      : percent(current?.checkedEvents ?? 0, current?.totalEvents ?? 0);

  return (
    <Card>
      <CardHeader
        title="Audit trail"
        description="Every event is hash-chained and covered by signed checkpoints (ed25519), with copies kept outside the database."
        action={
          <Button
            onClick={() => start.mutate({ portfolioId: portfolio.id })}
            disabled={busy}
            data-testid="verify-chain"
          >
            {busy ? "Verifying…" : "Verify chain"}
          </Button>
        }
      />
      <dl className="grid grid-cols-2 gap-x-6 gap-y-3 px-5 py-4 text-sm sm:grid-cols-4">
        <div>
          <dt className="text-slate-500">Chain head</dt>
          <dd className="font-medium">{o ? `sequence ${o.head.sequence}` : "…"}</dd>
          {o ? <dd className="font-mono text-xs text-slate-500">{shortHash(o.head.hash)}</dd> : null}
        </div>
        <div>
          <dt className="text-slate-500">Last signed checkpoint</dt>
          <dd className="font-medium">
            {o?.lastCheckpoint ? `sequence ${o.lastCheckpoint.sequence}` : "none yet"}
          </dd>
          {o?.lastCheckpoint ? (
            <dd className="text-xs text-slate-500">
              {formatTime(new Date(o.lastCheckpoint.signedAt))} · {o.checkpoints} in all
            </dd>
          ) : null}
        </div>
        <div>
          <dt className="text-slate-500">Signing keys</dt>
          <dd className="font-medium">{o ? `${o.keys} published` : "…"}</dd>
          {o?.activeKeyId ? <dd className="font-mono text-xs text-slate-500">{o.activeKeyId}</dd> : null}
        </div>
        <div>
          <dt className="text-slate-500">Last full verification</dt>
          <dd className="font-medium">
            {o?.lastVerification ? (
              <Badge tone={o.lastVerification.status === "passed" ? "green" : "red"}>
                {o.lastVerification.status}
              </Badge>
            ) : (
              "not yet"
            )}
          </dd>
          {o?.lastVerification?.finishedAt ? (
            <dd className="text-xs text-slate-500">{formatTime(o.lastVerification.finishedAt)}</dd>
          ) : null}
        </div>
      </dl>
      {start.error ? (
        <p role="alert" className="border-t border-slate-100 px-5 py-3 text-sm text-red-600">
          {start.error.message}
        </p>
      ) : null}
      {current ? (
        <div className="space-y-3 border-t border-slate-100 px-5 py-4" data-testid="verification-result">
          {!finished ? (
            <>
              <div className="flex items-center justify-between text-sm">
                <span className="text-slate-600">
                  {current.status === "queued"
                    ? Date.now() - current.createdAt.getTime() > waitingHintMs
                      ? "Waiting for the compliance worker (it runs in the orchestrator process)…"
                      : "Queued…"
                    : current.phase === "checkpoints"
                      ? "Checking signed checkpoints against the log and its copies…"
                      : `Checking the chain: ${current.checkedEvents.toLocaleString()} of ${current.totalEvents.toLocaleString()} events`}
                </span>
                <span className="font-medium tabular-nums">{progress}%</span>
              </div>
              <ProgressBar value={progress} label="Verification progress" />
            </>
          ) : current.status === "passed" ? (
            <div className="flex flex-wrap items-center gap-3 text-sm">
              <Badge tone="green">Chain intact</Badge>
              <span className="text-slate-700" data-testid="verification-summary">
                {current.checkedEvents.toLocaleString()} events and{" "}
                {current.checkedCheckpoints.toLocaleString()} signed checkpoints verified against{" "}
                {current.sources.join(", ")}.
              </span>
            </div>
          ) : (
            <div className="space-y-2 text-sm" role="alert">
              <div className="flex flex-wrap items-center gap-3">
                <Badge tone="red">
                  {current.status === "error" ? "Verification error" : "Tampering detected"}
                </Badge>
                {current.firstBadSequence !== null ? (
                  <span className="font-medium text-red-700" data-testid="first-bad-sequence">
                    First bad event: sequence {current.firstBadSequence}
                  </span>
                ) : null}
                {current.reason ? (
                  <span className="font-mono text-xs text-slate-500">{current.reason}</span>
                ) : null}
              </div>
              <p className="text-slate-700" data-testid="verification-message">
                {current.message}
              </p>
              {current.firstBadSequence !== null ? (
                <Link
                  className="text-slate-600 underline hover:text-slate-900"
                  href={`/audit/events/${current.firstBadSequence}`}
                >
                  Open the event (when it belongs to this portfolio)
                </Link>
              ) : null}
            </div>
          )}
        </div>
      ) : null}
    </Card>
  );
}

"use client";
// Personal data (COMPL-004/005): find everything held about a data subject and download it as
// JSON (a DSAR, auditors and admins), or erase them (admins): their key is destroyed, so every
// sealed field of theirs reads "[erased]" while the audit trail still verifies.
import { useMutation } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { type FormEvent, useState } from "react";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { Field, Input } from "@/components/ui/field";
import { formatTime } from "./format";

const statusTone = { active: "green", erased: "red", no_sealed_data: "neutral" } as const;

function fieldError(error: unknown, field: string): string | undefined {
  if (error instanceof TRPCClientError) {
    return (error.data as { fields?: Record<string, string> } | undefined)?.fields?.[field];
  }
  return undefined;
}

/** Saves JSON as a file through a temporary object URL. */
function downloadJson(fileName: string, value: unknown) {
  const blob = new Blob([`${JSON.stringify(value, null, 2)}\n`], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

export function PersonalDataPanel() {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const canRead = portfolio.role === "auditor" || portfolio.role === "admin";
  const canErase = portfolio.role === "admin";
  const [subject, setSubject] = useState("");
  const [confirming, setConfirming] = useState(false);
  const exported = useMutation(trpc.compliance.exportSubjectData.mutationOptions());
  const erase = useMutation(
    trpc.compliance.eraseSubject.mutationOptions({
      onSuccess: (results) => {
        setConfirming(false);
        // Show what is held now, read again by subject id: an email no longer leads to them.
        const [first] = results;
        if (first) {
          setSubject(first.subjectId);
          exported.mutate({ portfolioId: portfolio.id, subject: first.subjectId });
        }
      },
    }),
  );

  if (!canRead) {
    return (
      <Card>
        <CardHeader title="Personal data" description="Auditors and admins answer data subject requests." />
        <p className="px-5 py-6 text-sm text-slate-500">
          Your role ({portfolio.role.replace("_", " ")}) may not read people's personal data.
        </p>
      </Card>
    );
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    setConfirming(false);
    erase.reset();
    exported.mutate({ portfolioId: portfolio.id, subject });
  }

  const data = exported.data;
  const subjectError = fieldError(exported.error, "subject") ?? fieldError(erase.error, "subject");
  return (
    <Card>
      <CardHeader
        title="Personal data"
        description="Everything held about a person or customer (DSAR), readable and downloadable; erasure destroys their key so their data reads [erased] everywhere, and the audit trail still verifies."
      />
      <form
        onSubmit={onSubmit}
        className="flex flex-wrap items-end gap-3 border-b border-slate-100 px-5 py-4"
        data-testid="dsar-form"
      >
        <div className="w-96">
          <Field label="Subject (id, user id or email)" error={subjectError}>
            <Input
              value={subject}
              onChange={(e) => setSubject(e.target.value)}
              name="subject"
              placeholder="ada@example.com"
              aria-invalid={subjectError ? true : undefined}
            />
          </Field>
        </div>
        <Button type="submit" disabled={exported.isPending}>
          {exported.isPending ? "Searching…" : "Find personal data"}
        </Button>
        {exported.error && !subjectError ? (
          <p role="alert" className="text-sm text-red-600">
            {exported.error.message}
          </p>
        ) : null}
      </form>
      {data ? (
        <div className="space-y-4 px-5 py-4" data-testid="dsar-result">
          <div className="flex flex-wrap items-center gap-3">
            <Button
              variant="secondary"
              onClick={() => downloadJson(`dsar-${data.exportId}.json`, data)}
              data-testid="dsar-download"
            >
              Download JSON
            </Button>
            <span className="text-xs text-slate-500">
              Export {data.exportId} · {formatTime(new Date(data.exportedAt))} · recorded in the audit log
            </span>
            {canErase ? (
              confirming ? (
                <span className="ml-auto flex items-center gap-2">
                  <span className="text-sm text-red-700">
                    Destroy the keys of {data.subjects.length} subject(s)? This cannot be undone.
                  </span>
                  <Button
                    variant="danger"
                    disabled={erase.isPending}
                    onClick={() => erase.mutate({ portfolioId: portfolio.id, subject })}
                    data-testid="erase-confirm"
                  >
                    {erase.isPending ? "Erasing…" : "Erase"}
                  </Button>
                  <Button variant="secondary" onClick={() => setConfirming(false)}>
                    Cancel
                  </Button>
                </span>
              ) : (
                <Button
                  variant="danger"
                  className="ml-auto"
                  onClick={() => setConfirming(true)}
                  data-testid="erase-subject"
                >
                  Erase…
                </Button>
              )
            ) : null}
          </div>
          {erase.error ? (
            <p role="alert" className="text-sm text-red-600">
              {erase.error.message}
            </p>
          ) : null}
          {erase.data ? (
            <p className="text-sm text-slate-700" data-testid="erasure-result">
              {erase.data
                .map((r) =>
                  r.erased
                    ? `${r.subjectId}: key ${r.keyId} destroyed, ${r.events} events now read [erased]${
                        r.scrubbed.length > 0
                          ? `; scrubbed ${r.scrubbed.map((s) => `${s.store} (${s.rows})`).join(", ")}`
                          : ""
                      }`
                    : `${r.subjectId}: already erased`,
                )
                .join(" · ")}
            </p>
          ) : null}
          {data.subjects.map((s) => (
            <div
              key={s.subject.subjectId}
              className="space-y-2 rounded-md border border-slate-200 p-4"
              data-testid="dsar-subject"
            >
              <div className="flex flex-wrap items-center gap-2">
                <Badge tone={statusTone[s.subject.status]}>{s.subject.status.replaceAll("_", " ")}</Badge>
                <span className="text-sm font-medium">{s.subject.subjectType}</span>
                <span className="font-mono text-xs text-slate-500">{s.subject.subjectId}</span>
                {s.subject.erasedAt ? (
                  <span className="text-xs text-slate-500">erased {formatTime(s.subject.erasedAt)}</span>
                ) : null}
              </div>
              <p className="text-sm text-slate-700">
                {s.events.length} event(s) hold their data
                {s.events.some((e) => e.personalData === "erased")
                  ? ` (${s.events.filter((e) => e.personalData === "erased").length} erased)`
                  : ""}
                ; {s.activity.length}
                {s.activityTruncated ? "+" : ""} event(s) of their activity;{" "}
                {s.records.map((r) => `${r.store} (${r.rows.length})`).join(", ") || "no read-model records"}.
              </p>
              <details className="text-xs">
                <summary className="cursor-pointer text-slate-600">Show the data</summary>
                <pre className="mt-2 max-h-96 overflow-auto rounded bg-slate-50 p-3">
                  {JSON.stringify({ events: s.events, records: s.records }, null, 2)}
                </pre>
              </details>
            </div>
          ))}
        </div>
      ) : null}
    </Card>
  );
}

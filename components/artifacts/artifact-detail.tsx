"use client";
// One artifact (ARTIF-001…007): review actions (build, replay, submit, approve, request changes,
// publish — the server enforces roles, separation of duties and the publishing policy and says
// why when it refuses), the latest build's progress and log (polled while it runs; the live feed
// refreshes on every event), its nodes with the provider that answered and every fallback, a
// preview, downloads, the signed provenance manifest, and versions with their diff.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState } from "react";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { Field, Textarea } from "@/components/ui/field";
import { ArtifactStatusBadge, kindLabels } from "./format";

function short(hash: string | null | undefined): string {
  return hash ? `${hash.slice(0, 12)}…` : "—";
}

export function ArtifactDetail({ ventureId, artifactId }: { ventureId: string; artifactId: string }) {
  const portfolio = useCurrentPortfolio();
  const canAct = portfolio.role === "founder" || portfolio.role === "admin";
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const artifact = useQuery({
    ...trpc.artifacts.get.queryOptions({ ventureId, artifactId }),
    refetchInterval: 3_000,
  });
  const [buildId, setBuildId] = useState<string | null>(null);
  const shownBuildId = buildId ?? artifact.data?.builds[0]?.id ?? null;
  const build = useQuery({
    ...trpc.artifacts.getBuild.queryOptions({ ventureId, artifactId, buildId: shownBuildId ?? "" }),
    enabled: shownBuildId !== null,
    refetchInterval: (query) =>
      query.state.data && ["queued", "running"].includes(query.state.data.status) ? 500 : false,
  });
  const [note, setNote] = useState("");
  const [irText, setIrText] = useState("");
  const [diffFrom, setDiffFrom] = useState<number | null>(null);
  useEffect(() => {
    if (artifact.data && irText === "") setIrText(JSON.stringify(artifact.data.ir, null, 2));
  }, [artifact.data, irText]);
  const refresh = () => queryClient.invalidateQueries();
  const requestBuild = useMutation(
    trpc.artifacts.requestBuild.mutationOptions({
      onSuccess: async (b) => {
        setBuildId(b.id);
        await refresh();
      },
    }),
  );
  const submit = useMutation(trpc.artifacts.submitForReview.mutationOptions({ onSuccess: refresh }));
  const approve = useMutation(trpc.artifacts.approve.mutationOptions({ onSuccess: refresh }));
  const changes = useMutation(
    trpc.artifacts.requestChanges.mutationOptions({
      onSuccess: async () => {
        setNote("");
        await refresh();
      },
    }),
  );
  const publish = useMutation(trpc.artifacts.publish.mutationOptions({ onSuccess: refresh }));
  const addVersion = useMutation(
    trpc.artifacts.addVersion.mutationOptions({
      onSuccess: async () => {
        setIrText("");
        await refresh();
      },
    }),
  );
  const a = artifact.data;
  const versions = a?.versions ?? [];
  const to = a?.currentVersion ?? 1;
  const from = diffFrom ?? Math.max(1, to - 1);
  const diff = useQuery({
    ...trpc.artifacts.diff.queryOptions({ ventureId, artifactId, from, to }),
    enabled: versions.length > 1,
  });
  const actionError =
    requestBuild.error ?? submit.error ?? approve.error ?? changes.error ?? publish.error ?? addVersion.error;

  if (artifact.error) return <p className="text-sm text-red-600">{artifact.error.message}</p>;
  if (!a) return <p className="text-sm text-slate-500">Loading…</p>;
  const b = build.data;
  const files = `/ventures/${ventureId}/artifacts/${artifactId}/files/${b?.id ?? ""}`;
  const running = b && (b.status === "queued" || b.status === "running");

  return (
    <div className="space-y-6">
      <Link href={`/ventures/${ventureId}/artifacts`} className="text-sm text-slate-500 hover:text-slate-900">
        ← Artifacts
      </Link>
      <Card>
        <CardHeader
          title={a.title}
          description={`${kindLabels[a.kind]} · version ${a.currentVersion} · slug ${a.slug}`}
          action={
            <div className="flex items-center gap-2" data-testid="artifact-status">
              <ArtifactStatusBadge status={a.status} />
            </div>
          }
        />
        <div className="space-y-3 px-5 py-4 text-sm">
          {a.publishedPath ? (
            <p>
              Published (version {a.publishedVersion}) at{" "}
              <a
                className="font-mono text-sky-700 hover:underline"
                href={a.publishedPath}
                target="_blank"
                rel="noreferrer"
                data-testid="published-link"
              >
                {a.publishedPath}
              </a>
            </p>
          ) : null}
          {canAct ? (
            <div className="flex flex-wrap gap-2">
              <Button
                onClick={() => requestBuild.mutate({ ventureId, artifactId })}
                disabled={requestBuild.isPending}
              >
                Build
              </Button>
              {b?.status === "succeeded" && b.mode === "build" ? (
                <Button
                  variant="secondary"
                  onClick={() =>
                    requestBuild.mutate({ ventureId, artifactId, mode: "replay", sourceBuildId: b.id })
                  }
                >
                  Replay this build
                </Button>
              ) : null}
              {a.status === "draft" ? (
                <Button variant="secondary" onClick={() => submit.mutate({ ventureId, artifactId })}>
                  Submit for review
                </Button>
              ) : null}
              {a.status === "in_review" ? (
                <>
                  <Button onClick={() => approve.mutate({ ventureId, artifactId })}>Approve</Button>
                  <input
                    aria-label="Note"
                    className="rounded-md border border-slate-300 px-3 py-2 text-sm"
                    placeholder="What should change?"
                    value={note}
                    onChange={(e) => setNote(e.target.value)}
                  />
                  <Button variant="secondary" onClick={() => changes.mutate({ ventureId, artifactId, note })}>
                    Request changes
                  </Button>
                </>
              ) : null}
              {a.status === "approved" ? (
                <Button onClick={() => publish.mutate({ ventureId, artifactId })}>Publish</Button>
              ) : null}
            </div>
          ) : null}
          {actionError ? (
            <p role="alert" className="text-sm text-red-600" data-testid="artifact-error">
              {actionError.message}
            </p>
          ) : null}
        </div>
      </Card>

      <div className="grid gap-6 lg:grid-cols-3">
        <Card className="lg:col-span-2">
          <CardHeader
            title="Preview"
            description={b?.status === "succeeded" ? `Build ${b.id}` : "Build the artifact to see it here."}
            action={
              b?.status === "succeeded" ? (
                <div className="flex flex-wrap gap-3 text-sm" data-testid="downloads">
                  <a className="text-sky-700 hover:underline" href={`${files}/artifact.pdf`}>
                    PDF
                  </a>
                  <a className="text-sky-700 hover:underline" href={`${files}/preview.png`}>
                    PNG
                  </a>
                  <a className="text-sky-700 hover:underline" href={`${files}/artifact.md`}>
                    Markdown
                  </a>
                  <a className="text-sky-700 hover:underline" href={`${files}/bundle.zip`}>
                    Bundle (zip)
                  </a>
                </div>
              ) : null
            }
          />
          {b?.status === "succeeded" ? (
            <iframe
              title="Artifact preview"
              src={`${files}/index.html`}
              sandbox=""
              className="h-[640px] w-full rounded-b-lg border-0"
              data-testid="artifact-preview"
            />
          ) : null}
        </Card>

        <Card>
          <CardHeader
            title="Build log"
            description={b ? `${b.mode} · ${b.status} · ${b.step}` : "No build yet"}
          />
          {b ? (
            <div className="space-y-3 p-5" data-testid="build-log">
              <div
                className="h-2 w-full rounded bg-slate-100"
                aria-label="Build progress"
                role="progressbar"
                aria-valuenow={b.progress}
              >
                <div
                  className={`h-2 rounded ${b.status === "failed" ? "bg-red-500" : "bg-emerald-500"}`}
                  style={{ width: `${b.progress}%` }}
                />
              </div>
              {b.error ? <p className="text-sm text-red-600">{b.error}</p> : null}
              <ol className="max-h-72 space-y-1 overflow-auto font-mono text-xs text-slate-700">
                {b.log.map((line) => (
                  <li
                    key={line.seq}
                    className={
                      line.level === "error" ? "text-red-600" : line.level === "warn" ? "text-amber-700" : ""
                    }
                  >
                    {line.message}
                  </li>
                ))}
              </ol>
              {running ? <p className="text-xs text-slate-500">Building…</p> : null}
            </div>
          ) : null}
        </Card>
      </div>

      {b && b.nodes.length > 0 ? (
        <Card>
          <CardHeader
            title="Nodes"
            description={`${b.nodesTotal} node(s), ${b.nodesCached} from the cache`}
          />
          <table className="w-full text-sm" data-testid="build-nodes">
            <thead className="text-left text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th className="px-5 py-2">Node</th>
                <th className="px-2 py-2">Kind</th>
                <th className="px-2 py-2">Answered by</th>
                <th className="px-5 py-2">Attempts</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {b.nodes.map((n) => (
                <tr key={n.nodeId}>
                  <td className="px-5 py-2 font-mono text-xs">{n.nodeId}</td>
                  <td className="px-2 py-2">{n.modality}</td>
                  <td className="px-2 py-2">
                    {n.provider}:{n.model} {n.cached ? <Badge tone="blue">cached</Badge> : null}
                  </td>
                  <td className="px-5 py-2 text-xs text-slate-600">
                    {n.attempts.map((t) => `${t.provider} ${t.outcome}`).join(" → ") || "—"}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </Card>
      ) : null}

      {b?.manifest ? (
        <Card>
          <CardHeader
            title="Provenance"
            description="The manifest is signed with the audit key; `npx venture verify <bundle.zip>` checks it offline."
            action={
              b.signature ? (
                <Badge tone={b.signature.valid ? "green" : "red"}>
                  {b.signature.valid
                    ? `Signature valid (${b.signature.keyId})`
                    : `Signature invalid: ${b.signature.problem}`}
                </Badge>
              ) : null
            }
          />
          <dl
            className="grid grid-cols-1 gap-x-6 gap-y-2 px-5 py-4 text-sm sm:grid-cols-2"
            data-testid="provenance"
          >
            <div>
              <dt className="text-slate-500">Build hash</dt>
              <dd className="font-mono text-xs">{b.buildHash}</dd>
            </div>
            <div>
              <dt className="text-slate-500">IR hash</dt>
              <dd className="font-mono text-xs">{b.manifest.irHash}</dd>
            </div>
            <div>
              <dt className="text-slate-500">Outputs</dt>
              <dd className="font-mono text-xs">
                {b.outputs.map((o) => (
                  <div key={o.name}>
                    {o.name} {short(o.sha256)}
                  </div>
                ))}
              </dd>
            </div>
            <div>
              <dt className="text-slate-500">Claims found</dt>
              <dd>
                {b.claims.length === 0
                  ? "None"
                  : b.claims.map((c) => (
                      <div key={`${c.kind}-${c.where}`} className="text-xs">
                        <span className="font-medium">{c.kind.replaceAll("_", " ")}</span>: “{c.evidence}” (
                        {c.where})
                      </div>
                    ))}
              </dd>
            </div>
          </dl>
        </Card>
      ) : null}

      <div className="grid gap-6 lg:grid-cols-2">
        <Card>
          <CardHeader title="Builds" />
          <ul className="divide-y divide-slate-100 text-sm">
            {a.builds.map((x) => (
              <li key={x.id}>
                <button
                  type="button"
                  onClick={() => setBuildId(x.id)}
                  className={`flex w-full items-center justify-between px-5 py-2 text-left hover:bg-slate-50 ${x.id === shownBuildId ? "bg-slate-50" : ""}`}
                >
                  <span>
                    v{x.versionNumber} · {x.mode} · {x.status}
                  </span>
                  <span className="font-mono text-xs text-slate-500">{short(x.buildHash)}</span>
                </button>
              </li>
            ))}
          </ul>
        </Card>
        <Card>
          <CardHeader
            title="Versions"
            description={versions.length > 1 ? `Diff of v${from} → v${to}` : "One version so far"}
            action={
              versions.length > 1 ? (
                <select
                  aria-label="Compare with"
                  className="rounded-md border border-slate-300 px-2 py-1 text-sm"
                  value={from}
                  onChange={(e) => setDiffFrom(Number(e.target.value))}
                >
                  {versions
                    .filter((v) => v.number !== to)
                    .map((v) => (
                      <option key={v.number} value={v.number}>
                        v{v.number}
                      </option>
                    ))}
                </select>
              ) : null
            }
          />
          {diff.data ? (
            <pre className="max-h-80 overflow-auto px-5 py-3 text-xs" data-testid="version-diff">
              {diff.data.lines
                .map((line, at) => ({ ...line, at }))
                .filter((l) => l.op !== "same")
                .map((l) => (
                  <div
                    key={`line-${l.at}`}
                    className={l.op === "added" ? "text-emerald-700" : "text-red-700"}
                  >
                    {l.op === "added" ? "+ " : "- "}
                    {l.text}
                  </div>
                ))}
            </pre>
          ) : null}
          {canAct ? (
            <div className="space-y-2 border-t border-slate-100 p-5">
              <Field label="IR of the next version">
                <Textarea rows={10} value={irText} onChange={(e) => setIrText(e.target.value)} />
              </Field>
              <Button
                variant="secondary"
                onClick={() => {
                  try {
                    addVersion.mutate({ ventureId, artifactId, ir: JSON.parse(irText) });
                  } catch {
                    addVersion.reset();
                  }
                }}
              >
                Save as new version
              </Button>
            </div>
          ) : null}
        </Card>
      </div>
    </div>
  );
}

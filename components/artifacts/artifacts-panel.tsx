"use client";
// A venture's artifacts (ARTIF-001): the list with review status, and a form that registers a new
// one from a starter IR of the chosen kind (editable JSON; a bad field is named by the server).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { useTRPC } from "@/components/trpc/react";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { Field, Input, Textarea } from "@/components/ui/field";
import { ArtifactStatusBadge, kindLabels, starterIrText } from "./format";

const kinds = Object.keys(kindLabels) as Array<keyof typeof kindLabels>;

export function ArtifactsPanel({ ventureId }: { ventureId: string }) {
  const portfolio = useCurrentPortfolio();
  const canEdit = portfolio.role === "founder" || portfolio.role === "admin";
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const venture = useQuery(trpc.orchestration.getVenture.queryOptions({ ventureId }));
  const list = useQuery({ ...trpc.artifacts.list.queryOptions({ ventureId }), refetchInterval: 5_000 });
  const [kind, setKind] = useState<keyof typeof kindLabels>("landing_page");
  const [title, setTitle] = useState("");
  const [irText, setIrText] = useState(() => starterIrText("landing_page", "New landing page"));
  const [parseError, setParseError] = useState<string | null>(null);
  const create = useMutation(
    trpc.artifacts.create.mutationOptions({
      onSuccess: async () => {
        setTitle("");
        await queryClient.invalidateQueries();
      },
    }),
  );
  const fields =
    create.error instanceof TRPCClientError
      ? ((create.error.data as { fields?: Record<string, string> } | undefined)?.fields ?? {})
      : {};

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    let ir: unknown;
    try {
      ir = JSON.parse(irText);
    } catch (error) {
      setParseError(`The IR is not JSON: ${(error as Error).message}`);
      return;
    }
    setParseError(null);
    create.mutate({ ventureId, ir: ir as never });
  }

  return (
    <div className="space-y-6">
      <Link href={`/ventures/${ventureId}`} className="text-sm text-slate-500 hover:text-slate-900">
        ← {venture.data?.name ?? "Venture"}
      </Link>
      <Card>
        <CardHeader
          title="Artifacts"
          description="Landing pages, documents, pitch decks, image and video briefs: typed IR, deterministic builds, signed provenance."
        />
        {list.data && list.data.length > 0 ? (
          <table className="w-full text-sm" data-testid="artifact-table">
            <thead className="text-left text-xs uppercase tracking-wide text-slate-500">
              <tr>
                <th className="px-5 py-2">Title</th>
                <th className="px-2 py-2">Kind</th>
                <th className="px-2 py-2">Version</th>
                <th className="px-2 py-2">Status</th>
                <th className="px-5 py-2">Published at</th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {list.data.map((a) => (
                <tr key={a.id} data-testid="artifact-row">
                  <td className="px-5 py-2 font-medium">
                    <Link
                      className="text-slate-900 hover:underline"
                      href={`/ventures/${ventureId}/artifacts/${a.id}`}
                    >
                      {a.title}
                    </Link>
                  </td>
                  <td className="px-2 py-2 text-slate-600">{kindLabels[a.kind]}</td>
                  <td className="px-2 py-2">v{a.currentVersion}</td>
                  <td className="px-2 py-2">
                    <ArtifactStatusBadge status={a.status} />
                  </td>
                  <td className="px-5 py-2 font-mono text-xs">
                    {a.publishedPath ? (
                      <a
                        className="text-sky-700 hover:underline"
                        href={a.publishedPath}
                        target="_blank"
                        rel="noreferrer"
                      >
                        {a.publishedPath}
                      </a>
                    ) : (
                      "—"
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="px-5 py-4 text-sm text-slate-500">
            {list.isLoading ? "Loading…" : "No artifacts yet."}
          </p>
        )}
      </Card>
      {canEdit ? (
        <Card>
          <CardHeader
            title="New artifact"
            description="Start from a template of the kind, edit its IR, and create it as a draft."
          />
          <form onSubmit={onSubmit} className="space-y-4 p-5">
            <div className="grid gap-4 sm:grid-cols-2">
              <Field label="Kind">
                <select
                  aria-label="Kind"
                  className="block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm"
                  value={kind}
                  onChange={(e) => {
                    const next = e.target.value as keyof typeof kindLabels;
                    setKind(next);
                    setIrText(starterIrText(next, title || `New ${kindLabels[next].toLowerCase()}`));
                  }}
                >
                  {kinds.map((k) => (
                    <option key={k} value={k}>
                      {kindLabels[k]}
                    </option>
                  ))}
                </select>
              </Field>
              <Field label="Title">
                <Input
                  value={title}
                  onChange={(e) => {
                    setTitle(e.target.value);
                    setIrText(starterIrText(kind, e.target.value || `New ${kindLabels[kind].toLowerCase()}`));
                  }}
                  placeholder="Solar kits for schools"
                />
              </Field>
            </div>
            <Field label="IR (JSON)" error={parseError ?? undefined}>
              <Textarea
                rows={16}
                value={irText}
                onChange={(e) => setIrText(e.target.value)}
                aria-invalid={parseError || Object.keys(fields).length > 0 ? true : undefined}
              />
            </Field>
            {create.error ? (
              <div role="alert" className="text-sm text-red-600">
                <p>{create.error.message}</p>
                {Object.keys(fields).length > 0 ? (
                  <ul className="mt-1 list-disc pl-5 font-mono text-xs">
                    {Object.entries(fields).map(([field, message]) => (
                      <li key={field}>
                        {field}: {message}
                      </li>
                    ))}
                  </ul>
                ) : null}
              </div>
            ) : null}
            <Button type="submit" disabled={create.isPending}>
              {create.isPending ? "Creating…" : "Create artifact"}
            </Button>
          </form>
        </Card>
      ) : null}
    </div>
  );
}

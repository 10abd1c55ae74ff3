"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { useTRPC } from "@/components/trpc/react";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { Field, Input, Textarea } from "@/components/ui/field";
import { formatMinor } from "./format";
import { VentureStatus } from "./venture-status";

function fieldErrors(error: unknown): Record<string, string> {
  if (error instanceof TRPCClientError) {
    const fields = (error.data as { fields?: Record<string, string> } | undefined)?.fields;
    if (fields) return fields;
  }
  return {};
}

export function VenturesBoard() {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ventures = useQuery({
    ...trpc.orchestration.listVentures.queryOptions({ portfolioId: portfolio.id }),
    // Keep polling while something is still being provisioned by the orchestrator.
    refetchInterval: (query) => (query.state.data?.some((v) => v.status === "provisioning") ? 500 : 10_000),
  });
  const templates = useQuery(trpc.orchestration.listTemplates.queryOptions());
  const [name, setName] = useState("");
  const [goal, setGoal] = useState("");
  const [templateId, setTemplateId] = useState("");
  const onCreated = async () => {
    setName("");
    setGoal("");
    await queryClient.invalidateQueries({ queryKey: trpc.orchestration.listVentures.queryKey() });
  };
  const create = useMutation(trpc.orchestration.createVenture.mutationOptions({ onSuccess: onCreated }));
  const launch = useMutation(trpc.orchestration.launchFromTemplate.mutationOptions({ onSuccess: onCreated }));
  const pending = create.isPending || launch.isPending;
  const failed = templateId ? launch.error : create.error;
  const canCreate = portfolio.role === "founder" || portfolio.role === "admin";
  const errors = fieldErrors(failed);
  const template = templates.data?.find((t) => t.id === templateId);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    const chosenGoal = goal.trim() === "" ? null : goal;
    if (templateId) launch.mutate({ portfolioId: portfolio.id, templateId, name, goal: chosenGoal });
    else create.mutate({ portfolioId: portfolio.id, name, goal: chosenGoal });
  }

  return (
    <div className="grid gap-6 lg:grid-cols-3">
      <Card className="lg:col-span-2">
        <CardHeader title="Ventures" description={`${ventures.data?.length ?? 0} in ${portfolio.name}`} />
        {ventures.isLoading ? (
          <p className="px-5 py-8 text-sm text-slate-500">Loading…</p>
        ) : ventures.data && ventures.data.length > 0 ? (
          <ul className="divide-y divide-slate-100" data-testid="venture-list">
            {ventures.data.map((v) => (
              <li key={v.id} className="flex items-center gap-4 px-5 py-3.5" data-testid="venture-row">
                <div className="min-w-0 flex-1">
                  <Link href={`/ventures/${v.id}`} className="font-medium text-slate-900 hover:underline">
                    {v.name}
                  </Link>
                  <p className="truncate text-sm text-slate-500">{v.goal ?? "No goal yet"}</p>
                </div>
                <span className="text-xs uppercase tracking-wide text-slate-500">{v.stage}</span>
                <VentureStatus status={v.status} />
              </li>
            ))}
          </ul>
        ) : (
          <p className="px-5 py-8 text-sm text-slate-500">No ventures yet. Create the first one.</p>
        )}
      </Card>
      {canCreate ? (
        <Card>
          <CardHeader title="New venture" description="The orchestrator provisions it within moments." />
          <form onSubmit={onSubmit} className="space-y-4 p-5">
            <Field label="Name" error={errors.name}>
              <Input
                value={name}
                onChange={(e) => setName(e.target.value)}
                placeholder="Acme Robotics"
                aria-invalid={errors.name ? true : undefined}
                name="name"
              />
            </Field>
            <Field label="Start from" error={errors.templateId}>
              <select
                name="templateId"
                value={templateId}
                onChange={(e) => setTemplateId(e.target.value)}
                className="w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm"
              >
                <option value="">No template: the L1 planner plans the work</option>
                {templates.data?.map((t) => (
                  <option key={t.id} value={t.id}>
                    Template: {t.name}
                  </option>
                ))}
              </select>
            </Field>
            {template ? (
              <div
                className="rounded-md bg-slate-50 p-3 text-xs text-slate-600"
                data-testid="template-preview"
              >
                <p className="mb-2">{template.description}</p>
                <ol className="space-y-1">
                  {template.phases.map((p) => (
                    <li key={p.phase}>
                      <span className="font-medium capitalize text-slate-800">{p.phase}</span>:{" "}
                      {p.tasks.map((t) => t.title).join(" · ")}
                    </li>
                  ))}
                </ol>
                <p className="mt-2">Suggested budget: {formatMinor(BigInt(template.suggestedBudgetMinor))}</p>
              </div>
            ) : null}
            <Field label="Goal" error={errors.goal}>
              <Textarea
                value={goal}
                onChange={(e) => setGoal(e.target.value)}
                placeholder={template?.defaultGoal ?? "Reach $10k MRR selling robot kits to schools"}
                name="goal"
              />
            </Field>
            {failed && Object.keys(errors).length === 0 ? (
              <p role="alert" className="text-sm text-red-600">
                {failed.message}
              </p>
            ) : null}
            <Button type="submit" disabled={pending} className="w-full">
              {pending ? "Creating…" : template ? "Launch from template" : "Create venture"}
            </Button>
          </form>
        </Card>
      ) : null}
    </div>
  );
}

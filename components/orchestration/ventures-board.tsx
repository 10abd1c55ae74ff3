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
  const [name, setName] = useState("");
  const [goal, setGoal] = useState("");
  const create = useMutation(
    trpc.orchestration.createVenture.mutationOptions({
      onSuccess: async () => {
        setName("");
        setGoal("");
        await queryClient.invalidateQueries({ queryKey: trpc.orchestration.listVentures.queryKey() });
      },
    }),
  );
  const canCreate = portfolio.role === "founder" || portfolio.role === "admin";
  const errors = fieldErrors(create.error);

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ portfolioId: portfolio.id, name, goal: goal.trim() === "" ? null : goal });
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
            <Field label="Goal" error={errors.goal}>
              <Textarea
                value={goal}
                onChange={(e) => setGoal(e.target.value)}
                placeholder="Reach $10k MRR selling robot kits to schools"
                name="goal"
              />
            </Field>
            {create.error && Object.keys(errors).length === 0 ? (
              <p role="alert" className="text-sm text-red-600">
                {create.error.message}
              </p>
            ) : null}
            <Button type="submit" disabled={create.isPending} className="w-full">
              {create.isPending ? "Creating…" : "Create venture"}
            </Button>
          </form>
        </Card>
      ) : null}
    </div>
  );
}

"use client";
// /webhooks (admins): register outgoing webhook endpoints (URL, event types; the signing secret is
// shown once), disable them, and read each endpoint's delivery log with status and attempts.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import { useState } from "react";
import { useCurrentPortfolio } from "@/components/portfolio-context";
import { useTRPC } from "@/components/trpc/react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardHeader } from "@/components/ui/card";
import { Field, Input } from "@/components/ui/field";
import type { NotificationKind } from "@/server/shared/events/catalog/notifications";
import { kindLabels } from "./use-notifications";

const eventTypes = Object.keys(kindLabels) as NotificationKind[];

const deliveryTones = { pending: "amber", delivering: "blue", succeeded: "green", failed: "red" } as const;

function fieldErrors(error: unknown): Record<string, string> {
  if (error instanceof TRPCClientError) {
    return ((error.data as { fields?: Record<string, string> } | undefined)?.fields ?? {}) as Record<
      string,
      string
    >;
  }
  return {};
}

function Deliveries({ endpointId }: { endpointId: string }) {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const deliveries = useQuery({
    ...trpc.notifications.listWebhookDeliveries.queryOptions({ portfolioId: portfolio.id, endpointId }),
    refetchInterval: 3_000,
  });
  if (deliveries.isLoading) return <p className="px-5 py-3 text-sm text-slate-500">Loading…</p>;
  if (!deliveries.data || deliveries.data.length === 0)
    return <p className="px-5 py-3 text-sm text-slate-500">Nothing delivered yet.</p>;
  return (
    <table className="w-full text-left text-sm" data-testid="delivery-log">
      <thead className="bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
        <tr>
          <th className="px-5 py-2 font-medium">Event</th>
          <th className="px-3 py-2 font-medium">Status</th>
          <th className="px-3 py-2 font-medium">Attempts</th>
          <th className="px-3 py-2 font-medium">Last answer</th>
          <th className="px-3 py-2 font-medium">Next attempt</th>
          <th className="px-3 py-2 font-medium">Created</th>
        </tr>
      </thead>
      <tbody className="divide-y divide-slate-100">
        {deliveries.data.map((d) => (
          <tr key={d.id} data-testid="delivery-row">
            <td className="px-5 py-2">
              <span className="font-medium">{kindLabels[d.eventType] ?? d.eventType}</span>
              <span className="block font-mono text-xs text-slate-400">{d.id}</span>
            </td>
            <td className="px-3 py-2">
              <Badge tone={deliveryTones[d.status]}>{d.status}</Badge>
            </td>
            <td
              className="px-3 py-2 tabular-nums"
              title={d.attemptLog
                .map((a) => `#${a.attempt}: ${a.statusCode ?? a.error} (${a.durationMs} ms)`)
                .join("\n")}
            >
              {d.attempts}/{d.maxAttempts}
            </td>
            <td className="px-3 py-2 text-slate-600">
              {d.lastStatusCode ? `HTTP ${d.lastStatusCode}` : null}
              {d.lastError && !d.lastStatusCode ? d.lastError : null}
              {!d.lastStatusCode && !d.lastError ? "—" : null}
            </td>
            <td className="px-3 py-2 text-slate-600">
              {d.nextAttemptAt ? d.nextAttemptAt.toLocaleTimeString() : "—"}
            </td>
            <td className="px-3 py-2 text-slate-600">{d.createdAt.toLocaleString()}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function WebhooksPanel() {
  const portfolio = useCurrentPortfolio();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [chosen, setChosen] = useState<NotificationKind[]>(["control.paused", "control.resumed"]);
  const [secret, setSecret] = useState<{ endpointId: string; secret: string } | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const isAdmin = portfolio.role === "admin";
  const endpoints = useQuery({
    ...trpc.notifications.listWebhooks.queryOptions({ portfolioId: portfolio.id }),
    enabled: isAdmin,
    refetchInterval: 5_000,
  });
  const refresh = () =>
    queryClient.invalidateQueries({ queryKey: trpc.notifications.listWebhooks.queryKey() });
  const register = useMutation(
    trpc.notifications.registerWebhook.mutationOptions({
      onSuccess: async (result) => {
        setSecret({ endpointId: result.endpoint.id, secret: result.secret });
        setUrl("");
        setDescription("");
        await refresh();
      },
    }),
  );
  const disable = useMutation(trpc.notifications.disableWebhook.mutationOptions({ onSuccess: refresh }));
  const errors = fieldErrors(register.error);

  if (!isAdmin) {
    return (
      <Card>
        <CardHeader title="Outgoing webhooks" />
        <p className="px-5 py-6 text-sm text-slate-600">
          Only an admin of {portfolio.name} manages webhooks.
        </p>
      </Card>
    );
  }

  return (
    <div className="grid gap-6">
      <Card>
        <CardHeader
          title="Register a webhook"
          description="Each delivery is a JSON POST signed with HMAC-SHA256 in the Venture-Signature header (t=<unix seconds>,v1=<hex of HMAC(secret, &quot;t.body&quot;)>). Failed deliveries are retried with exponential backoff."
        />
        <form
          className="grid gap-4 px-5 py-4"
          onSubmit={(event) => {
            event.preventDefault();
            register.mutate({
              portfolioId: portfolio.id,
              url,
              eventTypes: chosen,
              ...(description ? { description } : {}),
            });
          }}
        >
          <div className="grid gap-4 sm:grid-cols-2">
            <Field label="Endpoint URL" error={errors.url}>
              <Input
                value={url}
                onChange={(e) => setUrl(e.target.value)}
                placeholder="https://hooks.example.com/venture"
                aria-invalid={Boolean(errors.url)}
              />
            </Field>
            <Field label="Description" error={errors.description}>
              <Input
                value={description}
                onChange={(e) => setDescription(e.target.value)}
                placeholder="#ops channel"
              />
            </Field>
          </div>
          <fieldset>
            <legend className="text-sm font-medium text-slate-700">Event types</legend>
            <div className="mt-2 flex flex-wrap gap-x-5 gap-y-2">
              {eventTypes.map((type) => (
                <label key={type} className="flex items-center gap-2 text-sm text-slate-700">
                  <input
                    type="checkbox"
                    checked={chosen.includes(type)}
                    onChange={(e) =>
                      setChosen(e.target.checked ? [...chosen, type] : chosen.filter((t) => t !== type))
                    }
                  />
                  <span>{kindLabels[type]}</span>
                  <code className="text-xs text-slate-400">{type}</code>
                </label>
              ))}
            </div>
            {errors.eventTypes ? (
              <span className="mt-1 block text-xs text-red-600" role="alert">
                {errors.eventTypes}
              </span>
            ) : null}
          </fieldset>
          {register.error && Object.keys(errors).length === 0 ? (
            <p className="text-sm text-red-700" role="alert">
              {register.error.message}
            </p>
          ) : null}
          <div>
            <Button type="submit" disabled={register.isPending}>
              {register.isPending ? "Registering…" : "Register webhook"}
            </Button>
          </div>
        </form>
        {secret ? (
          <div
            className="mx-5 mb-4 rounded-md border border-amber-300 bg-amber-50 px-4 py-3 text-sm"
            data-testid="webhook-secret"
          >
            <p className="font-medium text-amber-900">
              Signing secret for {secret.endpointId}: shown this once.
            </p>
            <code className="mt-1 block break-all font-mono text-amber-950">{secret.secret}</code>
            <button
              type="button"
              className="mt-2 text-xs text-amber-800 underline"
              onClick={() => setSecret(null)}
            >
              I have stored it
            </button>
          </div>
        ) : null}
      </Card>

      <Card>
        <CardHeader
          title="Endpoints"
          description={`${endpoints.data?.filter((e) => e.status === "active").length ?? 0} active`}
        />
        {endpoints.data && endpoints.data.length > 0 ? (
          <ul className="divide-y divide-slate-100" data-testid="webhook-list">
            {endpoints.data.map((endpoint) => (
              <li key={endpoint.id} data-testid="webhook-row">
                <div className="flex flex-wrap items-center gap-3 px-5 py-3">
                  <Badge tone={endpoint.status === "active" ? "green" : "neutral"}>{endpoint.status}</Badge>
                  <span className="font-mono text-sm text-slate-900">{endpoint.url}</span>
                  {endpoint.description ? (
                    <span className="text-sm text-slate-500">{endpoint.description}</span>
                  ) : null}
                  <span className="ml-auto text-xs text-slate-500">
                    {endpoint.deliveries.succeeded} delivered · {endpoint.deliveries.pending} pending ·{" "}
                    {endpoint.deliveries.failed} failed
                  </span>
                  <Button
                    variant="secondary"
                    onClick={() => setOpen(open === endpoint.id ? null : endpoint.id)}
                  >
                    {open === endpoint.id ? "Hide log" : "Delivery log"}
                  </Button>
                  {endpoint.status === "active" ? (
                    <Button
                      variant="danger"
                      disabled={disable.isPending}
                      onClick={() => disable.mutate({ portfolioId: portfolio.id, endpointId: endpoint.id })}
                    >
                      Disable
                    </Button>
                  ) : null}
                </div>
                <p className="px-5 pb-2 text-xs text-slate-500">
                  {endpoint.eventTypes.map((t) => kindLabels[t] ?? t).join(", ")}
                </p>
                {open === endpoint.id ? <Deliveries endpointId={endpoint.id} /> : null}
              </li>
            ))}
          </ul>
        ) : (
          <p className="px-5 py-6 text-sm text-slate-500">
            {endpoints.isLoading ? "Loading…" : "No endpoints yet."}
          </p>
        )}
      </Card>
    </div>
  );
}

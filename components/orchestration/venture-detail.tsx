"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/components/trpc/react";
import { Card, CardHeader } from "@/components/ui/card";
import { VentureStatus } from "./venture-status";

export function VentureDetail({ ventureId }: { ventureId: string }) {
  const trpc = useTRPC();
  const venture = useQuery({
    ...trpc.orchestration.getVenture.queryOptions({ ventureId }),
    refetchInterval: (query) => (query.state.data?.status === "provisioning" ? 500 : false),
  });
  if (venture.error) return <p className="text-sm text-red-600">{venture.error.message}</p>;
  if (!venture.data) return <p className="text-sm text-slate-500">Loading…</p>;
  const v = venture.data;
  return (
    <div className="space-y-6">
      <Link href="/ventures" className="text-sm text-slate-500 hover:text-slate-900">
        ← Ventures
      </Link>
      <Card>
        <CardHeader
          title={v.name}
          description={v.goal ?? "No goal yet"}
          action={<VentureStatus status={v.status} />}
        />
        <dl className="grid grid-cols-2 gap-x-6 gap-y-3 px-5 py-4 text-sm sm:grid-cols-4">
          <div>
            <dt className="text-slate-500">Stage</dt>
            <dd className="font-medium capitalize">{v.stage}</dd>
          </div>
          <div>
            <dt className="text-slate-500">Created</dt>
            <dd className="font-medium">{v.createdAt.toLocaleString()}</dd>
          </div>
          <div>
            <dt className="text-slate-500">Provisioned</dt>
            <dd className="font-medium">{v.provisionedAt ? v.provisionedAt.toLocaleString() : "—"}</dd>
          </div>
          <div>
            <dt className="text-slate-500">Id</dt>
            <dd className="font-mono text-xs">{v.id}</dd>
          </div>
        </dl>
      </Card>
    </div>
  );
}

import { Badge } from "@/components/ui/badge";

export function VentureStatus({ status }: { status: "provisioning" | "ready" }) {
  return status === "ready" ? (
    <Badge tone="green">
      <span className="h-1.5 w-1.5 rounded-full bg-emerald-500" /> Ready
    </Badge>
  ) : (
    <Badge tone="amber">
      <span className="h-1.5 w-1.5 animate-pulse rounded-full bg-amber-500" /> Provisioning
    </Badge>
  );
}

import { Badge } from "@/components/ui/badge";
import { statusTone } from "./format";

export function TaskStatus({ status }: { status: string }) {
  return (
    <Badge tone={statusTone[status] ?? "neutral"}>
      {status === "running" || status === "dispatched" ? (
        <span className="h-1.5 w-1.5 animate-pulse rounded-full bg-sky-500" />
      ) : null}
      {status.replaceAll("_", " ")}
    </Badge>
  );
}

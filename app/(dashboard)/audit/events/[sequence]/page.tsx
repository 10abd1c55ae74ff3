import { notFound } from "next/navigation";
import { AuditEventDetail } from "@/components/compliance/audit-event-detail";

export default async function AuditEventRoute({ params }: { params: Promise<{ sequence: string }> }) {
  const { sequence } = await params;
  const n = Number(sequence);
  if (!Number.isSafeInteger(n) || n < 1) notFound();
  return <AuditEventDetail sequence={n} />;
}

import { AuditPage } from "@/components/compliance/audit-page";

export default function AuditRoute() {
  return <AuditPage />;
}

import { EscalationInbox } from "@/components/orchestration/escalation-inbox";

export default function EscalationsPage() {
  return <EscalationInbox />;
}

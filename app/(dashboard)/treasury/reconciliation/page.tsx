import { ReconciliationPanel } from "@/components/treasury/reconciliation-panel";

export default function ReconciliationPage() {
  return <ReconciliationPanel />;
}

import { IntentInbox } from "@/components/treasury/intent-inbox";
import { PaymentsList } from "@/components/treasury/payments-list";

export default function InboxPage() {
  return (
    <div className="grid gap-6">
      <IntentInbox />
      <PaymentsList />
    </div>
  );
}

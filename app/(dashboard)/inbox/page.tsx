import { IntentInbox } from "@/components/treasury/intent-inbox";

export default function InboxPage() {
  return <IntentInbox />;
}

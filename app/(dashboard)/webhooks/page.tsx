import { WebhooksPanel } from "@/components/notifications/webhooks-panel";

export default function WebhooksPage() {
  return <WebhooksPanel />;
}

// What workers, the tRPC routers and scripts may import from notifications (CTRL-006): the
// notification centre (recorded from events by the notifier worker, read and marked read by each
// person) and outgoing webhooks (registered by admins, signed, retried with backoff).
export {
  backoffMs,
  type ClaimedDelivery,
  claimDueDeliveries,
  type DeliveryPolicy,
  defaultDeliveryPolicy,
  type RecordedOutcome,
  recordAttempt,
  sendDelivery,
} from "./deliver-webhooks";
export { disableWebhook } from "./disable-webhook";
export { countUnread, listNotifications, type NotificationView } from "./list-notifications";
export { liveNotifications } from "./live-notifications";
export { markNotificationsRead } from "./mark-read";
export { notificationAudiences, notifyingEventTypes } from "./notification-rules";
export { defaultWebhookMaxAttempts, recordNotifications, type WebhookBody } from "./record-notifications";
export { parseWebhookUrl, registerWebhook, webhookEndpointsMax } from "./register-webhook";
export { sealLegacyWebhookEndpoints } from "./webhook-endpoint-seal";
export {
  defaultToleranceSec,
  signatureHeader,
  signatureHeaderValue,
  verifyWebhookSignature,
} from "./webhook-signing";
export {
  getWebhook,
  listDeliveries,
  listWebhooks,
  type WebhookDeliveryView,
  type WebhookEndpointView,
} from "./webhook-views";

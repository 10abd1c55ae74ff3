import { NotificationList } from "@/components/notifications/notification-list";

export default function NotificationsPage() {
  return <NotificationList />;
}

import { PortfolioDashboard } from "@/components/dashboard/portfolio-dashboard";

export default function DashboardPage() {
  return <PortfolioDashboard />;
}

import { RebalancingPage } from "@/components/rebalancing/rebalancing-page";

export default function Rebalancing() {
  return <RebalancingPage />;
}

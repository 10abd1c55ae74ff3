import { TreasuryPage } from "@/components/treasury/treasury-page";

export default function Treasury() {
  return <TreasuryPage />;
}

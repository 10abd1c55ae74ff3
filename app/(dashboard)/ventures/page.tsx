import { VenturesBoard } from "@/components/orchestration/ventures-board";

export default function VenturesPage() {
  return <VenturesBoard />;
}

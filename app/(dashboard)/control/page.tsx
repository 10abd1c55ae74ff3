import { ControlPanel } from "@/components/control/control-panel";

export default function ControlPage() {
  return <ControlPanel />;
}

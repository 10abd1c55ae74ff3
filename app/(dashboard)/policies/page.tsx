import { PolicyEditor } from "@/components/policy/policy-editor";

export default function PoliciesPage() {
  return <PolicyEditor />;
}

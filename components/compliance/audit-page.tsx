"use client";
// The auditor pages (CTRL-007): the audit trail and its verification, then the log, evidence
// packs and findings. Read-only, apart from asking for a verification or a pack.
import { useState } from "react";
import { AuditLogBrowser } from "./audit-log-browser";
import { EvidencePacksPanel } from "./evidence-packs-panel";
import { FindingsList } from "./findings-list";
import { PersonalDataPanel } from "./personal-data-panel";
import { VerifyChainPanel } from "./verify-chain-panel";

const tabs = [
  { id: "log", label: "Audit log" },
  { id: "packs", label: "Evidence packs" },
  { id: "findings", label: "Findings" },
  { id: "personal", label: "Personal data" },
] as const;

type Tab = (typeof tabs)[number]["id"];

export function AuditPage() {
  const [tab, setTab] = useState<Tab>("log");
  return (
    <div className="space-y-6">
      <VerifyChainPanel />
      <div className="flex gap-1 border-b border-slate-200" role="tablist">
        {tabs.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            aria-selected={tab === t.id}
            onClick={() => setTab(t.id)}
            className={`-mb-px border-b-2 px-4 py-2 text-sm font-medium ${
              tab === t.id
                ? "border-slate-900 text-slate-900"
                : "border-transparent text-slate-500 hover:text-slate-800"
            }`}
          >
            {t.label}
          </button>
        ))}
      </div>
      {tab === "log" ? (
        <AuditLogBrowser />
      ) : tab === "packs" ? (
        <EvidencePacksPanel />
      ) : tab === "findings" ? (
        <FindingsList />
      ) : (
        <PersonalDataPanel />
      )}
    </div>
  );
}

// The kinds of claim an artifact makes (ARTIF-007), read from its final text — generated text
// included — and its blocks. The publishing policy decides which kinds may be published; this file
// only finds them, each with the words that made it a claim and where they are, so a refusal can
// say exactly what to change. Pure.
import type { ArtifactIr, Block } from "./ir";

export type Claim = { kind: string; evidence: string; where: string };

const patterns: Array<{ kind: string; pattern: RegExp }> = [
  {
    kind: "guaranteed_returns",
    pattern:
      /\b(guarantee[ds]?|guaranteeing)\s+(\S+\s+){0,3}(returns?|profits?|income|yields?|gains?)\b|\brisk[- ]free\s+(returns?|investments?|profits?)\b|\b(double|triple)\s+your\s+money\b/i,
  },
  {
    kind: "health",
    pattern:
      /\b(cures?|heals?|treats?|prevents?|reverses?)\s+(\w+\s+){0,2}(diseases?|cancer|diabetes|illness(es)?|covid(-19)?|anxiety|depression|infections?|obesity)\b/i,
  },
  {
    kind: "medical",
    pattern:
      /\b(clinically\s+proven|doctor[- ]recommended|fda[- ]approved|medical[- ]grade|prescription[- ]strength)\b/i,
  },
  {
    kind: "legal_advice",
    pattern: /\b(this\s+is\s+legal\s+advice|legal\s+advice\s+(for|on|about)|we\s+are\s+your\s+lawyers?)\b/i,
  },
];

export function detectClaims(ir: ArtifactIr, texts: Array<{ where: string; text: string }>): Claim[] {
  const claims: Claim[] = [];
  for (const { where, text } of texts) {
    for (const { kind, pattern } of patterns) {
      const match = pattern.exec(text);
      if (match) claims.push({ kind, evidence: match[0], where });
    }
  }
  const visit = (owner: string, blocks: Block[]) => {
    for (const [index, block] of blocks.entries()) {
      const where = `${owner}.${index}`;
      if (block.type === "quote") {
        claims.push({
          kind: block.verified ? "testimonial" : "unverified_testimonial",
          evidence: `“${block.text.slice(0, 80)}” — ${block.attribution}`,
          where,
        });
      }
      if (block.type === "pricing")
        claims.push({ kind: "pricing", evidence: block.plans.map((p) => p.name).join(", "), where });
    }
  };
  if (ir.kind === "landing_page" || ir.kind === "document")
    for (const s of ir.sections) visit(s.id, s.blocks);
  if (ir.kind === "pitch_deck") for (const s of ir.slides) visit(s.id, s.blocks);
  return claims;
}

export function claimKindsOf(claims: Claim[]): string[] {
  return [...new Set(claims.map((c) => c.kind))].sort();
}

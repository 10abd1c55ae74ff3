// The evidence-pack format (COMPL-003), shared by the builder and the offline verifier. No
// database and no environment here: `npx venture verify` imports this file.
//
// A pack is a gzipped tar. Its first three entries are manifest.json (SHA-256 and size of every
// other file, the period, the chain anchor and the closing checkpoint), manifest.sig (an ed25519
// signature over the manifest's exact bytes) and keys.json (every published public key). Then
// checkpoints and approvals, then the events of the period as JSON Lines, then the rest.
import { z } from "zod";
import { signedCheckpointSchema } from "./signing";

export const packFormat = "venture-evidence-pack/1";

export const packFiles = {
  manifest: "manifest.json",
  signature: "manifest.sig",
  keys: "keys.json",
  checkpoints: "checkpoints.jsonl",
  approvals: "approvals.jsonl",
  events: "events.jsonl",
  personalData: "personal-data.jsonl",
  policyVersions: "policy-versions.jsonl",
  findings: "findings.jsonl",
  ledgerAccounts: "ledger/accounts.jsonl",
  ledgerPostings: "ledger/postings.jsonl",
  trialBalance: "ledger/trial-balance.json",
  statements: "ledger/statements.jsonl",
  readme: "README.txt",
} as const;

export type PackFile = (typeof packFiles)[keyof typeof packFiles];

/** The order of entries in the archive: the verifier streams it once, front to back. */
export const archiveOrder: PackFile[] = [
  packFiles.manifest,
  packFiles.signature,
  packFiles.keys,
  packFiles.checkpoints,
  packFiles.approvals,
  packFiles.events,
  packFiles.personalData,
  packFiles.policyVersions,
  packFiles.findings,
  packFiles.ledgerAccounts,
  packFiles.ledgerPostings,
  packFiles.trialBalance,
  packFiles.statements,
  packFiles.readme,
];

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "a SHA-256 hex digest");
const sequence = z.number().int().nonnegative();

export const manifestSchema = z
  .object({
    format: z.literal(packFormat),
    packId: z.string().min(1),
    builtAt: z.string().min(1),
    period: z.object({ from: z.string().min(1), to: z.string().min(1) }).strict(),
    scope: z
      .object({
        /** The portfolio the pack was requested in. */
        requestedIn: z.string().min(1),
        /** Every portfolio with events in the pack: the chain is one per deployment. */
        portfolios: z.array(z.string()),
      })
      .strict(),
    chain: z
      .object({
        /** The chain just before the first event of the pack: its sequence and hash. */
        anchor: z.object({ sequence, hash: sha256Hex }).strict(),
        /** The events in events.jsonl: sequences anchor.sequence + 1 … lastSequence, gap-free. */
        lastSequence: sequence,
        events: z.number().int().nonnegative(),
        /** The signed checkpoint at lastSequence (null only when the pack starts at the genesis and is empty). */
        closingCheckpoint: signedCheckpointSchema.nullable(),
        /** True when the closing checkpoint was signed for this pack (after checking the stored chain
         * against the checkpoint that came next), false when it was signed with the log. */
        closingCheckpointSignedForPack: z.boolean(),
      })
      .strict(),
    signingKeyId: z.string().min(1),
    files: z.array(
      z
        .object({ path: z.string().min(1), sha256: sha256Hex, bytes: z.number().int().nonnegative() })
        .strict(),
    ),
    /** Parts a deployment does not have (yet), e.g. no ledger tables: named, never silently missing. */
    absent: z.array(z.object({ part: z.string(), reason: z.string() }).strict()),
  })
  .strict();

export type PackManifest = z.infer<typeof manifestSchema>;

export const manifestSignatureSchema = z
  .object({ algorithm: z.literal("ed25519"), keyId: z.string().min(1), signature: z.string().min(1) })
  .strict();

export const keysFileSchema = z
  .object({
    keys: z.array(
      z
        .object({
          keyId: z.string().min(1),
          algorithm: z.literal("ed25519"),
          publicKeyPem: z.string().min(1),
          validFrom: z.string().min(1),
          validTo: z.string().nullable(),
        })
        .strict(),
    ),
  })
  .strict();

/** One stored event: exactly the columns the chain hash is computed from, plus the id. */
export const eventLineSchema = z
  .object({
    sequence: z.number().int().positive(),
    id: z.string().min(1),
    envelope: z.string().min(1),
    prevHash: sha256Hex,
    hash: sha256Hex,
  })
  .strict();

export type EventLine = z.infer<typeof eventLineSchema>;

const minor = z.string().regex(/^-?\d+$/, "an integer amount in minor units");

export const postingLineSchema = z
  .object({
    entryId: z.string().min(1),
    seq: z.number().int().nonnegative(),
    accountId: z.string().min(1),
    bookId: z.string().min(1),
    currency: z.string().min(1),
    amountMinor: minor,
    createdAt: z.string().min(1),
  })
  .strict();

export const trialBalanceSchema = z
  .object({
    asOf: z.string().min(1),
    currencies: z.array(
      z.object({ currency: z.string(), debitsPostedMinor: minor, creditsPostedMinor: minor }).strict(),
    ),
    accounts: z.array(
      z
        .object({
          accountId: z.string(),
          bookId: z.string(),
          code: z.string(),
          kind: z.string(),
          currency: z.string(),
          debitsPostedMinor: minor,
          creditsPostedMinor: minor,
        })
        .strict(),
    ),
  })
  .strict();

export const statementLineSchema = z
  .object({
    accountId: z.string(),
    currency: z.string(),
    openingMinor: minor,
    debitsMinor: minor,
    creditsMinor: minor,
    closingMinor: minor,
    postings: z.number().int().nonnegative(),
  })
  .strict();

export const policyVersionLineSchema = z
  .object({
    portfolioId: z.string(),
    scope: z.string(),
    number: z.number().int().positive(),
    versionHash: sha256Hex,
    text: z.string(),
    policyIds: z.array(z.string()),
    note: z.string().nullable(),
    createdBy: z.object({ type: z.string(), id: z.string() }).strict(),
    createdAt: z.string(),
    /** in_force_at_start: the version active when the period began; published_in_period: later. */
    role: z.enum(["in_force_at_start", "published_in_period"]),
  })
  .strict();

/**
 * One line of personal-data.jsonl per data subject and key whose sealed data the pack's events
 * hold, or whose erasure is in the pack (COMPL-005): whether that key still exists when the pack
 * was built. Erased sections read "[erased]" for everyone, forever; active ones are still only
 * ciphertext in the pack (personal data never leaves in clear with evidence).
 */
export const personalDataLineSchema = z
  .object({
    subjectType: z.enum(["person", "customer", "contact"]),
    subjectId: z.string().min(1),
    keyId: z.string().min(1),
    /** Events of the pack holding a section sealed with this key. */
    events: z.number().int().nonnegative(),
    state: z.enum(["active", "erased"]),
    erasedAt: z.string().nullable(),
    /** The compliance.subject_erased event that destroyed the key, when it is in the pack. */
    erasureSequence: z.number().int().positive().nullable(),
  })
  .strict();

export type PersonalDataLine = z.infer<typeof personalDataLineSchema>;

/**
 * Event types copied to approvals.jsonl: money intents and every approval decision, whichever
 * context records them (the types are matched by name, so contexts added later are included).
 */
export function isApprovalEventType(type: string): boolean {
  return (
    type.startsWith("treasury.intent_") ||
    type.includes("approval") ||
    type.includes("approved") ||
    type.includes("denied")
  );
}

export const packReadme = `Venture evidence pack (${packFormat})

Verify it offline, without a database:   npx venture verify <this file> [--key <keyId>]

manifest.json        SHA-256 and size of every other file, the period, the chain anchor and the
                     closing checkpoint; signed in manifest.sig (ed25519) by a key in keys.json.
keys.json            every public key of the audit keyring, with its validity period.
checkpoints.jsonl    signed checkpoints of the hash chain inside the pack's range.
events.jsonl         the stored events, one per line: sequence, id, envelope (the canonical JSON the
                     hash covers), prevHash, hash = SHA-256(prevHash "|" sequence "|" envelope).
approvals.jsonl      the money-intent and approval events of the period (copies of events.jsonl lines).
personal-data.jsonl  the data subjects whose personal data the events hold, sealed (AES-256-GCM, a key
                     per subject): "erased" where the key was destroyed, so it reads "[erased]".
policy-versions.jsonl  the policy versions in force during the period.
findings.jsonl       findings raised up to the end of the period.
ledger/              accounts, postings up to the period end, the trial balance recomputed from the
                     postings, and per-account statements for the period.
`;

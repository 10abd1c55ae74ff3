// Personal data in event payloads (COMPL-004, COMPL-005; docs/decisions/0013). A catalog entry
// names the payload fields that hold a data subject's personal data; the append path replaces
// them with one encrypted `pii` section (AES-256-GCM under the subject's own key), so the chain
// hashes only ciphertext. Erasure deletes the subject's key: the section can then never be read
// again, and the chain and every checkpoint still verify because no stored byte changes.
//
// No database and no key material here: the catalog files import this one.
import { z } from "zod";

/** Whose personal data an event holds: people who use the system, and the ventures' customers and contacts. */
export const subjectTypes = ["person", "customer", "contact"] as const;
export type SubjectType = (typeof subjectTypes)[number];

/** What every reader shows in place of a field whose subject was erased. */
export const erasedValue = "[erased]";
/** What a reader without the right to see personal data is shown instead of a field. */
export const withheldValue = "[personal data]";

export const personalDataAlgorithm = "A256GCM";

const base64url = z.string().regex(/^[A-Za-z0-9_-]*$/, "base64url");

/**
 * The stored form of an event's personal data: the fields' canonical JSON, encrypted with the
 * subject's key. `fields` names what is inside (names of fields are schema, not personal data), so
 * a reader that cannot decrypt still knows which fields to show as erased.
 */
export const personalDataSectionSchema = z
  .object({
    alg: z.literal(personalDataAlgorithm),
    subjectType: z.enum(subjectTypes),
    subjectId: z.string().min(1),
    keyId: z.string().min(1),
    fields: z.array(z.string().min(1)),
    iv: base64url,
    tag: base64url,
    ciphertext: base64url,
  })
  .strict();

export type PersonalDataSection = z.infer<typeof personalDataSectionSchema>;

/** The prefix of derived subject ids, by type. */
export const derivedSubjectPrefixes: Record<SubjectType, string> = {
  person: "psn",
  customer: "cus",
  contact: "ctc",
};

export type PersonalDataSpec<Field extends string = string> = {
  subjectType: SubjectType;
  /**
   * Who the data is about: a payload field holding the subject's id (which stays in clear: a
   * pseudonymous reference, e.g. a user id), or, for someone known only by a name or an email (a
   * customer on a payment), an id derived from that field by a keyed hash, scoped to a portfolio
   * so the same customer of two tenants is two subjects. A derived subject whose field is null or
   * absent means the event names nobody: nothing is sealed.
   */
  subject: { idField: Field } | { derivedFrom: Field; scopeField?: Field };
  /** The fields encrypted with the subject's key (absent optional fields are simply left out). */
  fields: readonly Field[];
  /**
   * Fields whose normalised value (trimmed, lower-case) is also kept as a keyed hash (HMAC), so a
   * DSAR can find the subject by it (an email address) without the value being stored in clear.
   */
  lookupFields?: readonly Field[];
};

type ObjectSchema = z.ZodObject<z.ZodRawShape>;

/**
 * Marks a catalog entry's personal data. `payload` stays the schema callers append with (the
 * plaintext); `storedPayload` is what the log holds and what consumers validate: the same object
 * without the personal fields, plus the `pii` section.
 */
export function withPersonalData<S extends ObjectSchema, const F extends Extract<keyof z.infer<S>, string>>(
  entry: { schemaVersion: number; payload: S },
  spec: PersonalDataSpec<F>,
): {
  schemaVersion: number;
  payload: S;
  personalData: PersonalDataSpec<F>;
  storedPayload: z.ZodType<Omit<z.infer<S>, F> & { pii?: PersonalDataSection }>;
} {
  const omitted = Object.fromEntries(spec.fields.map((field) => [field, true])) as Record<string, true>;
  // A derived subject may be absent (no customer named): then nothing is sealed and no section
  // is stored; with an id field, the section is always there.
  const section =
    "idField" in spec.subject ? personalDataSectionSchema : personalDataSectionSchema.optional();
  const storedPayload = entry.payload.omit(omitted as never).extend({ pii: section }) as unknown as z.ZodType<
    Omit<z.infer<S>, F> & { pii?: PersonalDataSection }
  >;
  return { ...entry, personalData: spec, storedPayload };
}

export function hasPersonalDataSpec(entry: object): entry is { personalData: PersonalDataSpec } {
  return "personalData" in entry;
}

/** The `pii` section of a stored payload, if it has a well-formed one. */
export function personalDataSectionOf(payload: unknown): PersonalDataSection | null {
  if (typeof payload !== "object" || payload === null || !("pii" in payload)) return null;
  const parsed = personalDataSectionSchema.safeParse((payload as { pii: unknown }).pii);
  return parsed.success ? parsed.data : null;
}

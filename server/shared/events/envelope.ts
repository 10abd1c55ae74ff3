// EventEnvelopeV1: the one shape of every event, in the database, on JetStream and in packs.
import { z } from "zod";
import { type EventType, eventCatalog, isEventType, type StoredPayload } from "./catalog";

export const actorTypes = ["user", "api_token", "worker", "agent", "system"] as const;
export type ActorType = (typeof actorTypes)[number];
export const actorSchema = z.object({ type: z.enum(actorTypes), id: z.string().min(1) }).strict();
export type EventActor = z.infer<typeof actorSchema>;

const hashSchema = z.string().regex(/^[0-9a-f]{64}$/, "a SHA-256 hex digest");

/** Everything the hash covers, apart from sequence and prevHash which the chain adds. */
export const envelopeBodySchema = z
  .object({
    id: z.string().regex(/^evt_[0-9A-Z]{26}$/, "an evt_ id"),
    type: z.string(),
    schemaVersion: z.number().int().positive(),
    stream: z
      .object({ type: z.string().min(1), id: z.string().min(1), version: z.number().int().positive() })
      .strict(),
    portfolioId: z.string().nullable(),
    occurredAt: z.iso.datetime({ offset: true }),
    actor: actorSchema,
    correlationId: z.string().min(1),
    causationId: z.string().nullable(),
    payload: z.record(z.string(), z.unknown()),
  })
  .strict();

export const envelopeSchema = envelopeBodySchema
  .extend({ sequence: z.number().int().positive(), prevHash: hashSchema, hash: hashSchema })
  .strict();

export type EventEnvelopeV1<T extends EventType = EventType> = Omit<
  z.infer<typeof envelopeSchema>,
  "type" | "payload"
> & { type: T; payload: StoredPayload<T> };

export type AnyEnvelope = { [T in EventType]: EventEnvelopeV1<T> }[EventType];

/**
 * Validates an envelope and its payload against the catalog. Returns a reason instead of throwing
 * so a consumer can terminate a malformed message with the reason in the dead-letter record.
 */
export function parseEnvelope(
  raw: unknown,
): { ok: true; envelope: AnyEnvelope } | { ok: false; reason: string } {
  const parsed = envelopeSchema.safeParse(raw);
  if (!parsed.success) {
    return { ok: false, reason: `invalid envelope: ${formatIssues(parsed.error)}` };
  }
  const { type, schemaVersion, payload } = parsed.data;
  if (!isEventType(type)) return { ok: false, reason: `unknown event type ${JSON.stringify(type)}` };
  const entry = eventCatalog[type];
  if (entry.schemaVersion !== schemaVersion) {
    return { ok: false, reason: `${type} schema version ${schemaVersion} is not ${entry.schemaVersion}` };
  }
  // Entries with personal data are stored sealed (docs/decisions/0013): validate that form.
  const payloadParsed = ("storedPayload" in entry ? entry.storedPayload : entry.payload).safeParse(payload);
  if (!payloadParsed.success) {
    return { ok: false, reason: `invalid ${type} payload: ${formatIssues(payloadParsed.error)}` };
  }
  return { ok: true, envelope: parsed.data as AnyEnvelope };
}

function formatIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`).join("; ");
}

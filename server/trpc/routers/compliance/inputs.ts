// Shared input pieces of the compliance procedures.
import { z } from "zod";

const isoDate = /^\d{4}-\d{2}-\d{2}$/;
const isoDateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO 8601 date (midnight UTC) or date-time with an offset, as a Date. */
export const isoInstant = z
  .string({ error: "required: an ISO 8601 date or date-time" })
  .refine(
    (value) => (isoDate.test(value) || isoDateTime.test(value)) && !Number.isNaN(Date.parse(value)),
    "an ISO 8601 date (2026-08-01) or date-time with offset (2026-08-01T00:00:00Z)",
  )
  .transform((value) => new Date(isoDate.test(value) ? `${value}T00:00:00.000Z` : value));

export const portfolioInput = { portfolioId: z.string().min(1) };

// Chromium (Skia) writes the time of printing into every PDF: /CreationDate and /ModDate in the
// document information dictionary, and in some versions a trailer /ID and XMP timestamps. Each is
// replaced with a fixed value of exactly the same length, so byte offsets (the xref table) stay
// valid and the same page always gives the same PDF bytes.

const fixedDate = "20000101000000";

export function normalizePdf(pdf: Buffer): Buffer {
  const text = pdf.toString("latin1");
  let out = text.replace(
    /\/(CreationDate|ModDate)\s*\(D:(\d{14})([^)]*)\)/g,
    (_m, key: string, _date: string, zone: string) => {
      return `/${key} (D:${fixedDate}${zone.replace(/[0-9]/g, "0")})`;
    },
  );
  // A trailer ID is two hex strings derived from time and content: make them zeros.
  out = out.replace(/\/ID\s*\[\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*\]/g, (m, a: string, b: string) =>
    m.replace(a, "0".repeat(a.length)).replace(b, "0".repeat(b.length)),
  );
  // XMP metadata (uncompressed when present): dates and uuids.
  out = out.replace(
    /<xmp:(CreateDate|ModifyDate|MetadataDate)>([^<]*)<\/xmp:\1>/g,
    (_m, key: string, value: string) => {
      return `<xmp:${key}>${"2000-01-01T00:00:00Z".padEnd(value.length, " ").slice(0, value.length)}</xmp:${key}>`;
    },
  );
  out = out.replace(/uuid:[0-9a-fA-F-]{36}/g, "uuid:00000000-0000-0000-0000-000000000000");
  const result = Buffer.from(out, "latin1");
  if (result.length !== pdf.length) throw new Error("normalizePdf changed the length of the PDF");
  return result;
}

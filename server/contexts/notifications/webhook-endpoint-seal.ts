// Webhook endpoints at rest (docs/decisions/0014): the signing secret and the URL (chat webhook URLs
// carry their own credentials) are stored sealed, AES-256-GCM under a key derived from the
// personal-data master key (HKDF, "venture-webhook/1"), which lives outside the database. The
// associated data binds each value to its endpoint and field, so a sealed value copied onto
// another endpoint, or from url to secret, does not open. A database dump or backup alone
// discloses neither; signing still has the secret at hand.
//
// Stored form: "wh1:" + base64url(iv ‖ tag ‖ ciphertext). Rows written before sealing hold the
// value in clear (a URL is http(s):, a secret whsec_…, so neither starts with "wh1:"): they still
// open, and sealLegacyWebhookEndpoints seals them in place.
import { hkdfSync } from "node:crypto";
import type { Db } from "@/server/shared/db";
import { type MasterKey, openBytes, sealBytes } from "@/server/shared/events/personal-data-crypto";
import { personalDataMasterKey } from "@/server/shared/events/personal-data-keys";

type EndpointField = "url" | "secret";

const prefix = "wh1:";
const derived = new Map<string, Buffer>();

function sealingKey(master: MasterKey): Buffer {
  let key = derived.get(master.id);
  if (!key) {
    key = Buffer.from(hkdfSync("sha256", master.key, Buffer.alloc(0), "venture-webhook/1", 32));
    derived.set(master.id, key);
  }
  return key;
}

const context = (endpointId: string, field: EndpointField) =>
  Buffer.from(`venture-webhook/1|${endpointId}|${field}`);

const isSealed = (stored: string) => stored.startsWith(prefix);

export function sealEndpointField(
  endpointId: string,
  field: EndpointField,
  value: string,
  master: MasterKey = personalDataMasterKey(),
): string {
  const sealed = sealBytes(sealingKey(master), context(endpointId, field), Buffer.from(value, "utf8"));
  return prefix + sealed.toString("base64url");
}

/** The value in clear; throws, naming the endpoint, the field and the key, when it does not open. */
export function openEndpointField(
  endpointId: string,
  field: EndpointField,
  stored: string,
  master: MasterKey = personalDataMasterKey(),
): string {
  if (!isSealed(stored)) return stored;
  const sealed = Buffer.from(stored.slice(prefix.length), "base64url");
  const opened = openBytes(sealingKey(master), context(endpointId, field), sealed);
  if (opened === null) {
    throw new Error(
      `webhook endpoint ${endpointId}: its ${field} does not open under master key ${master.id} (check PII_MASTER_KEY)`,
    );
  }
  return opened.toString("utf8");
}

/** Seals the URL and secret of endpoints stored in clear; returns how many rows it sealed. */
export async function sealLegacyWebhookEndpoints(db: Db, master: MasterKey = personalDataMasterKey()) {
  const rows = await db.$queryRawUnsafe<Array<{ id: string; url: string; secret: string }>>(
    `SELECT id, url, secret FROM webhook_endpoints WHERE url NOT LIKE 'wh1:%' OR secret NOT LIKE 'wh1:%'`,
  );
  for (const row of rows) {
    // Only a value still in clear is replaced: a concurrent writer's sealed value stays.
    await db.$executeRawUnsafe(
      `UPDATE webhook_endpoints
          SET url = CASE WHEN url = $2 THEN $3 ELSE url END,
              secret = CASE WHEN secret = $4 THEN $5 ELSE secret END
        WHERE id = $1`,
      row.id,
      row.url,
      isSealed(row.url) ? row.url : sealEndpointField(row.id, "url", row.url, master),
      row.secret,
      isSealed(row.secret) ? row.secret : sealEndpointField(row.id, "secret", row.secret, master),
    );
  }
  return rows.length;
}

import { createPublicKey } from "node:crypto";
import { z } from "zod";
import { listAuditKeys } from "@/server/contexts/compliance/sync-keyring";
import { signedInProcedure } from "@/server/trpc/init";
import { auditKeyOutput } from "./outputs";

/**
 * Every public key of the audit keyring with its validity, as PEM and JWK. Public keys are meant
 * to be published (anyone verifying a pack needs them), so any signed-in person may read them.
 */
export const listKeysProcedure = signedInProcedure
  .input(z.undefined())
  .output(z.array(auditKeyOutput))
  .query(async ({ ctx }) =>
    (await listAuditKeys({ db: ctx.db })).map((key) => {
      const jwk = createPublicKey(key.publicKeyPem).export({ format: "jwk" });
      return {
        ...key,
        jwk: { kty: "OKP" as const, crv: "Ed25519" as const, x: String(jwk.x), kid: key.keyId },
      };
    }),
  );

import type { Identity } from "./jwt";
import { toBase64url } from "./jwt";

/**
 * What the origin may trust about a caller the edge authenticated: subject, client and scopes in
 * `Bulwark-Edge-*` headers, with an HMAC-SHA256 over them, the method, the path and query, and the
 * time, under a secret only the edge and the origins hold. The origins (query API, order-api) verify
 * it (`io.bulwark.http.EdgeSignature`) and refuse a signature older than their allowed skew, so a
 * captured set of headers cannot be moved to another request or replayed later. Values are
 * percent-encoded (a subject may hold any character).
 *
 * <p>Signed text: `bulwark-edge-v1\n{METHOD}\n{path?query}\n{subject}\n{client}\n{scopes}\n{t}`.
 */
export const EDGE_HEADERS = {
  subject: "Bulwark-Edge-Subject",
  client: "Bulwark-Edge-Client",
  scopes: "Bulwark-Edge-Scopes",
  signature: "Bulwark-Edge-Signature",
} as const;

const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
    ]);
    keys.set(secret, key);
  }
  return key;
}

/** Sets the signed identity headers on `headers` for a request `method pathAndQuery` at `nowMs`. */
export async function signIdentity(
  headers: Headers,
  identity: Identity,
  method: string,
  pathAndQuery: string,
  secret: string,
  nowMs: number,
): Promise<void> {
  const subject = encodeURIComponent(identity.subject);
  const client = encodeURIComponent(identity.client);
  const scopes = identity.scopes.join(" ");
  const t = Math.floor(nowMs / 1000);
  const text = ["bulwark-edge-v1", method, pathAndQuery, subject, client, scopes, String(t)].join("\n");
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), new TextEncoder().encode(text));
  headers.set(EDGE_HEADERS.subject, subject);
  headers.set(EDGE_HEADERS.client, client);
  headers.set(EDGE_HEADERS.scopes, scopes);
  headers.set(EDGE_HEADERS.signature, `t=${t},s=${toBase64url(mac)}`);
}

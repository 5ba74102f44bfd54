/**
 * JWT verification with crypto.subtle: ES256 (P-256) and HS256, keys from a JWKS held in KV and
 * chosen by `kid`. The algorithm comes from the key, never from the token alone: a token whose
 * `alg` does not match its key's type is refused (no `none`, no HS256-with-a-public-key confusion).
 * Checked: signature, `exp` (required), `nbf`, `aud`, `iss` when configured, with a small clock skew.
 */

export interface Identity {
  subject: string;
  /** The API client the token was issued to (`client_id`, else `azp`); empty when it names none. */
  client: string;
  scopes: string[];
}

export class TokenError extends Error {
  constructor(
    readonly code: "missing-token" | "invalid-token",
    message: string,
  ) {
    super(message);
  }
}

interface Jwk extends JsonWebKey {
  kid?: string;
  alg?: string;
}

interface LoadedKey {
  alg: "ES256" | "HS256";
  key: CryptoKey;
}

/** How long imported keys are trusted before the set is read again from KV. */
const KEY_SET_TTL_MS = 60_000;
/** An unknown `kid` re-reads the set (a rotation may have added it), at most this often. */
const UNKNOWN_KID_REFRESH_MS = 5_000;

/** The key set of one isolate: imported once, refreshed on a TTL and on an unknown `kid`. */
export class KeySet {
  private keys = new Map<string, LoadedKey>();
  private loadedAt = -Infinity;
  private loading: Promise<void> | undefined;

  constructor(
    private readonly kv: KVNamespace,
    private readonly now: () => number,
  ) {}

  async get(kid: string): Promise<LoadedKey | undefined> {
    const age = this.now() - this.loadedAt;
    if (age > KEY_SET_TTL_MS || (!this.keys.has(kid) && age > UNKNOWN_KID_REFRESH_MS)) {
      await this.reload();
    }
    return this.keys.get(kid);
  }

  private reload(): Promise<void> {
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  private async load(): Promise<void> {
    const text = await this.kv.get("jwks");
    const keys = new Map<string, LoadedKey>();
    const set = text ? (JSON.parse(text) as { keys?: Jwk[] }) : { keys: [] };
    for (const jwk of set.keys ?? []) {
      if (!jwk.kid) {
        continue;
      }
      const loaded = await importKey(jwk);
      if (loaded) {
        keys.set(jwk.kid, loaded);
      }
    }
    this.keys = keys;
    this.loadedAt = this.now();
  }
}

async function importKey(jwk: Jwk): Promise<LoadedKey | undefined> {
  const { kid: _kid, alg: _alg, key_ops: _ops, use: _use, ...material } = jwk;
  if (jwk.kty === "EC" && jwk.crv === "P-256" && (jwk.alg ?? "ES256") === "ES256") {
    const key = await crypto.subtle.importKey("jwk", material, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    return { alg: "ES256", key };
  }
  if (jwk.kty === "oct" && (jwk.alg ?? "HS256") === "HS256") {
    const key = await crypto.subtle.importKey("jwk", material, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]);
    return { alg: "HS256", key };
  }
  return undefined;
}

export interface VerifyOptions {
  audience: string;
  issuer?: string;
  clockSkewSeconds: number;
  nowMs: number;
}

interface Verified {
  identity: Identity;
  exp: number;
  nbf?: number;
  verifiedAtMs: number;
}

/**
 * Tokens this isolate verified recently, so that a caller's next requests skip the signature
 * check: at most {@link VerifiedTokens.MAX_ENTRIES} (least recently used go first), each trusted for
 * the key set's lifetime at most (a key rotated out stops working as fast as without this), and
 * `exp`/`nbf` are still checked on every use.
 */
export class VerifiedTokens {
  static readonly MAX_ENTRIES = 1_000;
  private readonly entries = new Map<string, Verified>();

  get(token: string, nowMs: number): Verified | undefined {
    const entry = this.entries.get(token);
    if (!entry) {
      return undefined;
    }
    this.entries.delete(token);
    if (nowMs - entry.verifiedAtMs > KEY_SET_TTL_MS) {
      return undefined;
    }
    this.entries.set(token, entry);
    return entry;
  }

  put(token: string, entry: Verified): void {
    this.entries.set(token, entry);
    if (this.entries.size > VerifiedTokens.MAX_ENTRIES) {
      this.entries.delete(this.entries.keys().next().value as string);
    }
  }
}

/** The identity in a valid bearer token; throws {@link TokenError} otherwise. */
export async function verify(
  authorization: string | null,
  keys: KeySet,
  options: VerifyOptions,
  verified?: VerifiedTokens,
): Promise<Identity> {
  if (!authorization || !/^Bearer\s+\S/i.test(authorization)) {
    throw new TokenError("missing-token", "Send a JWT as 'Authorization: Bearer <token>'");
  }
  const token = authorization.replace(/^Bearer\s+/i, "").trim();
  const known = verified?.get(token, options.nowMs);
  if (known) {
    checkTimes(known.exp, known.nbf, options);
    return known.identity;
  }
  const parts = token.split(".");
  if (parts.length !== 3) {
    throw new TokenError("invalid-token", "The token is not a compact JWS (header.payload.signature)");
  }
  const header = json(parts[0], "header") as { alg?: string; kid?: string; typ?: string };
  if (header.alg !== "ES256" && header.alg !== "HS256") {
    throw new TokenError("invalid-token", `Algorithm '${String(header.alg)}' is not accepted (ES256, HS256)`);
  }
  if (!header.kid) {
    throw new TokenError("invalid-token", "The token names no key (kid)");
  }
  const key = await keys.get(header.kid);
  if (!key) {
    throw new TokenError("invalid-token", `Unknown key '${header.kid}'`);
  }
  if (key.alg !== header.alg) {
    throw new TokenError("invalid-token", `Key '${header.kid}' is for ${key.alg}, the token says ${header.alg}`);
  }
  const signed = new TextEncoder().encode(`${parts[0]}.${parts[1]}`);
  const signature = base64url(parts[2]);
  const valid =
    key.alg === "ES256"
      ? await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key.key, signature, signed)
      : await crypto.subtle.verify("HMAC", key.key, signature, signed);
  if (!valid) {
    throw new TokenError("invalid-token", "The signature does not verify");
  }
  const claims = json(parts[1], "payload") as Record<string, unknown>;
  if (typeof claims.exp !== "number") {
    throw new TokenError("invalid-token", "The token has no expiry (exp)");
  }
  const nbf = typeof claims.nbf === "number" ? claims.nbf : undefined;
  checkTimes(claims.exp, nbf, options);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (!audiences.includes(options.audience)) {
    throw new TokenError("invalid-token", `The token is not for this audience (${options.audience})`);
  }
  if (options.issuer && claims.iss !== options.issuer) {
    throw new TokenError("invalid-token", "The token is from another issuer");
  }
  if (typeof claims.sub !== "string" || !claims.sub) {
    throw new TokenError("invalid-token", "The token names no subject (sub)");
  }
  const client = typeof claims.client_id === "string" ? claims.client_id : typeof claims.azp === "string" ? claims.azp : "";
  const identity = { subject: claims.sub, client, scopes: scopes(claims) };
  verified?.put(token, { identity, exp: claims.exp, nbf, verifiedAtMs: options.nowMs });
  return identity;
}

function checkTimes(exp: number, nbf: number | undefined, options: VerifyOptions): void {
  const now = options.nowMs / 1000;
  if (now > exp + options.clockSkewSeconds) {
    throw new TokenError("invalid-token", "The token has expired");
  }
  if (nbf !== undefined && now < nbf - options.clockSkewSeconds) {
    throw new TokenError("invalid-token", "The token is not valid yet (nbf)");
  }
}

/** Scopes from `scope` (space-separated, RFC 8693) or `scp` (an array). */
function scopes(claims: Record<string, unknown>): string[] {
  if (typeof claims.scope === "string") {
    return claims.scope.split(" ").filter(Boolean);
  }
  if (Array.isArray(claims.scp)) {
    return claims.scp.filter((s): s is string => typeof s === "string");
  }
  return [];
}

function json(segment: string, what: string): unknown {
  try {
    const value = JSON.parse(new TextDecoder().decode(base64url(segment)));
    if (value === null || typeof value !== "object") {
      throw new Error();
    }
    return value;
  } catch {
    throw new TokenError("invalid-token", `The token's ${what} is not base64url JSON`);
  }
}

export function base64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) {
    throw new TokenError("invalid-token", "The token holds characters outside base64url");
  }
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  let binary: string;
  try {
    binary = atob(padded);
  } catch {
    throw new TokenError("invalid-token", "The token holds a malformed base64url segment");
  }
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes;
}

export function toBase64url(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let binary = "";
  for (const b of view) {
    binary += String.fromCharCode(b);
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

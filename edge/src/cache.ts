/**
 * The edge cache for `GET /query/*`, on the Cache API.
 *
 * - Key: the path with its query parameters sorted, in the shared partition. Only answers the
 *   origin marks shareable are stored (`public`, or no `private`/`no-store`; never with
 *   `Set-Cookie` or `Vary: *`). Every caller is authorized by the edge before a lookup, so the
 *   credential headers the origin varies on (`Authorization`, `X-API-Key`) do not split the key; any
 *   other `Vary` header does: the base key then holds a small manifest naming the headers, and the
 *   answer lives under a key with the caller's values of them.
 * - Lifetime: `CDN-Cache-Control` (RFC 9213) when present, else `s-maxage`, else `max-age` of
 *   `Cache-Control`; `stale-while-revalidate` and `stale-if-error` from the same header
 *   (`stale-if-error` defaults to `STALE_IF_ERROR_S`). The Cache API keeps an entry for the whole
 *   window; freshness is judged here from the time it was stored, so the edge's own clock decides.
 * - Purge: deleting the base key (answer or manifest) drops every variant from reach.
 */

export interface Lifetimes {
  fresh: number;
  swr: number;
  sie: number;
}

/** An origin answer read whole, so that several callers can be answered from it. */
export interface Snapshot {
  status: number;
  headers: [string, string][];
  body: ArrayBuffer | null;
  region: string;
}

export interface Stored {
  snapshot: Snapshot;
  storedAtMs: number;
  originAge: number;
  lifetimes: Lifetimes;
}

const CACHE_ORIGIN = "https://edge-cache.bulwark.internal";
const INTERNAL = {
  storedAt: "Bulwark-Stored-At",
  originAge: "Bulwark-Origin-Age",
  lifetimes: "Bulwark-Lifetimes",
  region: "Bulwark-Stored-Region",
  cacheControl: "Bulwark-Origin-Cache-Control",
  cdnCacheControl: "Bulwark-Origin-CDN-Cache-Control",
  vary: "Bulwark-Origin-Vary",
  manifest: "Bulwark-Vary-Manifest",
};
/** Headers a caller's authorization stands in for: the edge checked it before the lookup. */
const CREDENTIAL_VARY = new Set(["authorization", "x-api-key", "accept-encoding"]);

/** The base key of a path and query: parameters sorted, so their order does not split the cache. */
export function baseKey(url: URL): string {
  const params = [...url.searchParams.entries()].sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1));
  const search = new URLSearchParams(params).toString();
  return `${CACHE_ORIGIN}/public${url.pathname}${search ? `?${search}` : ""}`;
}

function variantKey(base: string, names: string[], request: Headers): string {
  const values = names.map((n) => `${n}=${request.get(n) ?? ""}`).join("&");
  const url = new URL(base);
  return `${CACHE_ORIGIN}/variant/${encodeURIComponent(values)}${url.pathname.slice("/public".length)}${url.search}`;
}

type Directives = Map<string, string | true>;

export function directives(value: string | null): Directives {
  const map: Directives = new Map();
  for (const part of (value ?? "").split(",")) {
    const [name, raw] = part.split("=", 2).map((s) => s.trim());
    if (name) {
      map.set(name.toLowerCase(), raw === undefined ? true : raw.replace(/^"|"$/g, ""));
    }
  }
  return map;
}

function seconds(d: Directives, name: string): number | undefined {
  const v = d.get(name);
  if (typeof v !== "string" || !/^\d+$/.test(v)) {
    return undefined;
  }
  return Number(v);
}

/** How long an answer may be kept, or undefined when it must not be stored. */
export function lifetimes(status: number, headers: Headers, defaultStaleIfError: number): Lifetimes | undefined {
  if (status !== 200 || headers.has("Set-Cookie")) {
    return undefined;
  }
  const cc = directives(headers.get("Cache-Control"));
  const vary = headers.get("Vary");
  if (cc.has("private") || cc.has("no-store") || (vary && vary.split(",").some((v) => v.trim() === "*"))) {
    return undefined;
  }
  const cdn = headers.has("CDN-Cache-Control") ? directives(headers.get("CDN-Cache-Control")) : undefined;
  if (cdn?.has("no-store") || cdn?.has("private")) {
    return undefined;
  }
  const source = cdn ?? cc;
  const fresh = cc.has("no-cache") && !cdn ? 0 : (seconds(source, "s-maxage") ?? seconds(source, "max-age"));
  if (fresh === undefined) {
    return undefined;
  }
  return {
    fresh,
    swr: seconds(source, "stale-while-revalidate") ?? 0,
    sie: seconds(source, "stale-if-error") ?? defaultStaleIfError,
  };
}

/** The `Vary` names that split the key (credentials and encodings do not). */
export function varyNames(headers: Headers | [string, string][]): string[] {
  const value = headers instanceof Headers ? headers.get("Vary") : headers.find(([n]) => n.toLowerCase() === "vary")?.[1];
  return (value ?? "")
    .split(",")
    .map((v) => v.trim().toLowerCase())
    .filter((v) => v && !CREDENTIAL_VARY.has(v))
    .sort();
}

export class EdgeCache {
  constructor(private readonly cache: Cache) {}

  /** The stored answer for a request, following a Vary manifest; undefined on a miss. */
  async lookup(base: string, request: Headers): Promise<Stored | undefined> {
    let response = await this.cache.match(base);
    const manifest = response?.headers.get(INTERNAL.manifest);
    if (response && manifest !== null && manifest !== undefined) {
      await response.body?.cancel();
      response = await this.cache.match(variantKey(base, manifest.split(",").filter(Boolean), request));
    }
    if (!response) {
      return undefined;
    }
    const storedAtMs = Number(response.headers.get(INTERNAL.storedAt));
    const [fresh, swr, sie] = (response.headers.get(INTERNAL.lifetimes) ?? "").split(",").map(Number);
    if (!Number.isFinite(storedAtMs) || ![fresh, swr, sie].every(Number.isFinite)) {
      await response.body?.cancel();
      return undefined;
    }
    const headers: [string, string][] = [];
    for (const [name, value] of response.headers) {
      const lower = name.toLowerCase();
      if (lower === "cache-control" || lower === "age") {
        continue;
      }
      if (lower === INTERNAL.cacheControl.toLowerCase()) {
        headers.push(["Cache-Control", value]);
      } else if (lower === INTERNAL.cdnCacheControl.toLowerCase()) {
        headers.push(["CDN-Cache-Control", value]);
      } else if (lower === INTERNAL.vary.toLowerCase()) {
        headers.push(["Vary", value]);
      } else if (!lower.startsWith("bulwark-stored-") && !Object.values(INTERNAL).some((h) => h.toLowerCase() === lower)) {
        headers.push([name, value]);
      }
    }
    return {
      snapshot: {
        status: response.status,
        headers,
        body: await response.arrayBuffer(),
        region: response.headers.get(INTERNAL.region) ?? "",
      },
      storedAtMs,
      originAge: Number(response.headers.get(INTERNAL.originAge) ?? 0),
      lifetimes: { fresh, swr, sie },
    };
  }

  /** Stores an answer (and a manifest when it varies) for its whole fresh + stale window. */
  async store(base: string, request: Headers, snapshot: Snapshot, life: Lifetimes, nowMs: number, originAge: number): Promise<void> {
    const keep = life.fresh + Math.max(life.swr, life.sie) + 1;
    const headers = new Headers();
    for (const [name, value] of snapshot.headers) {
      const lower = name.toLowerCase();
      if (lower === "cache-control") {
        headers.set(INTERNAL.cacheControl, value);
      } else if (lower === "cdn-cache-control") {
        headers.set(INTERNAL.cdnCacheControl, value);
      } else if (lower === "vary") {
        headers.set(INTERNAL.vary, value);
      } else if (lower !== "age" && lower !== "set-cookie" && !lower.startsWith("bulwark-cache")) {
        headers.append(name, value);
      }
    }
    headers.set("Cache-Control", `public, max-age=${keep}`);
    headers.set(INTERNAL.storedAt, String(nowMs));
    headers.set(INTERNAL.originAge, String(originAge));
    headers.set(INTERNAL.lifetimes, `${life.fresh},${life.swr},${life.sie}`);
    headers.set(INTERNAL.region, snapshot.region);
    const names = varyNames(snapshot.headers);
    const answer = new Response(snapshot.body, { status: snapshot.status, headers });
    if (names.length === 0) {
      await this.cache.put(base, answer);
      return;
    }
    await this.cache.put(variantKey(base, names, request), answer);
    await this.cache.put(
      base,
      new Response(null, {
        headers: {
          "Cache-Control": `public, max-age=${keep}`,
          [INTERNAL.manifest]: names.join(","),
          [INTERNAL.storedAt]: String(nowMs),
          [INTERNAL.lifetimes]: `${life.fresh},${life.swr},${life.sie}`,
        },
      }),
    );
  }

  /** Drops the answer (or manifest) under a base key; true when there was one. */
  purge(base: string): Promise<boolean> {
    return this.cache.delete(base);
  }
}

/**
 * Stored answers held in this isolate's memory, in front of the Cache API, while they are fresh or
 * within stale-while-revalidate: a hot key then costs no cache read at all (freshness is judged as
 * for the Cache API's copy). Bounded by entries and bytes (least recently used go first), only for
 * answers that vary on nothing, and each kept at most {@link IsolateCache.MAX_AGE_MS} — so a purge,
 * which reaches only the isolate that receives it, reaches the others within that time.
 */
export class IsolateCache {
  static readonly MAX_ENTRIES = 2_000;
  static readonly MAX_BYTES = 8 * 1024 * 1024;
  static readonly MAX_AGE_MS = 5_000;
  private readonly entries = new Map<string, { stored: Stored; bytes: number; heldUntilMs: number }>();
  private bytes = 0;

  /** The stored answer under `key` while this isolate may still hold it. */
  get(key: string, nowMs: number): Stored | undefined {
    const entry = this.entries.get(key);
    if (!entry) {
      return undefined;
    }
    this.remove(key);
    if (nowMs >= entry.heldUntilMs) {
      return undefined;
    }
    this.entries.set(key, entry);
    this.bytes += entry.bytes;
    return entry.stored;
  }

  /** Holds an answer while fresh or within stale-while-revalidate, at most {@link IsolateCache.MAX_AGE_MS}. */
  put(key: string, stored: Stored, nowMs: number): void {
    this.remove(key);
    const { fresh, swr } = stored.lifetimes;
    const usableForMs = (fresh + swr) * 1000 - (nowMs - stored.storedAtMs) - stored.originAge * 1000;
    const bytes = (stored.snapshot.body?.byteLength ?? 0) + 64 * stored.snapshot.headers.length + key.length;
    if (usableForMs <= 0 || varyNames(stored.snapshot.headers).length > 0 || bytes > IsolateCache.MAX_BYTES / 16) {
      return;
    }
    this.entries.set(key, { stored, bytes, heldUntilMs: nowMs + Math.min(usableForMs, IsolateCache.MAX_AGE_MS) });
    this.bytes += bytes;
    while (this.entries.size > IsolateCache.MAX_ENTRIES || this.bytes > IsolateCache.MAX_BYTES) {
      this.remove(this.entries.keys().next().value as string);
    }
  }

  remove(key: string): void {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.bytes -= entry.bytes;
    }
  }
}

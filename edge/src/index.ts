import { ConfigError, type Env, type Region, type Settings, settings as readSettings } from "./config";
import { EdgeCache, IsolateCache, baseKey, lifetimes, type Snapshot, type Stored, varyNames } from "./cache";
import { type Identity, KeySet, TokenError, VerifiedTokens, verify } from "./jwt";
import { OriginFailure, type OriginRequest, originHeaders, send } from "./origin";
import { problem } from "./problem";
import { homeRegion, readOrder } from "./regions";
import { type Route, match } from "./routes";

export type { Env } from "./config";

/** The largest request body the edge reads and forwards (order-api takes 16 KiB by default). */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Bulwark's edge worker: authenticates every request by JWT, sends it to the right region's origin
 * with a signed identity, and answers `GET /query/*` from the edge cache where it may.
 *
 * Answers carry `Bulwark-Region` (the region whose origin produced them), and every answer
 * `Bulwark-Cache: HIT | MISS | STALE | REVALIDATED | BYPASS` and `Age`.
 */
export interface WorkerOptions {
  /** The clock (epoch ms); workerd's `Date.now()` by default. */
  now?: () => number;
  /** The origin client; the global `fetch` by default. */
  fetcher?: typeof fetch;
  /** The cache; `caches.default` by default. */
  cache?: () => Cache | Promise<Cache>;
}

export function createWorker(options: WorkerOptions = {}): ExportedHandler<Env> {
  const now = options.now ?? (() => Date.now());
  const fetcher: typeof fetch = options.fetcher ?? ((input, init) => fetch(input, init));
  const cacheOf = options.cache ?? (() => caches.default);
  /** The key set and the tokens verified with it, for the bindings this isolate runs with. */
  let keySet: { kv: KVNamespace; keys: KeySet; verified: VerifiedTokens } | undefined;
  /** Origin fetches in flight per cache key, so that concurrent misses in this isolate share one. */
  const inflight = new Map<
    string,
    { promise: Promise<{ snapshot: Snapshot; varyValues: string } | OriginFailure>; startedAtMs: number }
  >();
  /** Background revalidations in flight, one per cache key. */
  const revalidating = new Set<string>();
  /** Answers in this isolate's memory (fresh or within stale-while-revalidate), in front of the Cache API. */
  const local = new IsolateCache();

  function keysFor(env: Env): { keys: KeySet; verified: VerifiedTokens } {
    if (keySet?.kv !== env.JWKS) {
      keySet = { kv: env.JWKS, keys: new KeySet(env.JWKS, now), verified: new VerifiedTokens() };
    }
    return keySet;
  }

  async function handle(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = new URL(request.url);
    const instance = url.pathname;
    let config: Settings;
    try {
      config = readSettings(env);
    } catch (e) {
      if (e instanceof ConfigError) {
        console.error(`edge-misconfigured: ${e.message}`);
        return problem(500, "edge-misconfigured", `The edge is misconfigured: ${e.message}`, instance);
      }
      throw e;
    }
    const matched = match(request.method, url.pathname);
    if (!matched) {
      return problem(404, "no-route", `The edge serves /query/*, /orders and /customers/{id}; not ${url.pathname}`, instance);
    }
    if ("allow" in matched) {
      return problem(405, "method-not-allowed", `${request.method} is not supported here`, instance, {
        Allow: [...new Set(matched.allow)].join(", "),
      });
    }
    const route = matched.route;
    let identity: Identity;
    try {
      const { keys, verified } = keysFor(env);
      identity = await verify(
        request.headers.get("Authorization"),
        keys,
        { audience: config.audience, issuer: config.issuer, clockSkewSeconds: config.clockSkewSeconds, nowMs: now() },
        verified,
      );
    } catch (e) {
      if (e instanceof TokenError) {
        const error = e.code === "missing-token" ? "" : `, error="invalid_token"`;
        return problem(401, e.code, e.message, instance, { "WWW-Authenticate": `Bearer realm="bulwark"${error}` });
      }
      throw e;
    }
    if (!identity.scopes.includes(route.scope)) {
      return problem(403, "insufficient-scope", `This needs the scope '${route.scope}'`, instance, {
        "WWW-Authenticate": `Bearer realm="bulwark", error="insufficient_scope", scope="${route.scope}"`,
      });
    }
    if (route.service === "edge") {
      return purge(request, url);
    }
    if (route.service === "orders" && !identity.client) {
      return problem(403, "no-client", "The token names no API client (client_id or azp), which orders need", instance);
    }
    const declared = Number(request.headers.get("Content-Length") ?? 0);
    if (declared > MAX_BODY_BYTES) {
      return problem(413, "payload-too-large", `Request bodies are at most ${MAX_BODY_BYTES} bytes`, instance);
    }
    const body = request.method === "GET" || request.method === "HEAD" ? null : await request.arrayBuffer();
    if (body && body.byteLength > MAX_BODY_BYTES) {
      return problem(413, "payload-too-large", `Request bodies are at most ${MAX_BODY_BYTES} bytes`, instance);
    }
    const headers = originHeaders(request.headers, config.forwardToken);
    const pathAndQuery = url.pathname + url.search;
    // A cacheable read is fetched whole with GET, also for a HEAD: the stored answer serves both.
    const method = route.cacheable ? "GET" : request.method;
    const origin: OriginRequest = { method, service: route.service, pathAndQuery, headers, body, identity };
    if (route.cacheable) {
      return cached(request, url, origin, config, ctx);
    }
    return passThrough(request, route, identity, origin, config, body);
  }

  /** A request the cache does not take part in: to its home region or the nearest one, with the retries it allows. */
  async function passThrough(
    request: Request,
    route: Route,
    identity: Identity,
    origin: OriginRequest,
    config: Settings,
    body: ArrayBuffer | null,
  ): Promise<Response> {
    let attempts: Region[];
    if (route.homeRegion) {
      const home = homeRegion(config.regions, request.headers.get("Bulwark-Home-Region"), customerOf(route, body, identity));
      const repeatable = ["GET", "HEAD", "PUT", "DELETE"].includes(request.method) || request.headers.has("Idempotency-Key");
      attempts = repeatable ? [home, home] : [home];
    } else {
      attempts = readOrder(config.regions, geo(request));
    }
    try {
      const answer = await send(origin, attempts, config, fetcher, now());
      const response = new Response(answer.response.body, answer.response);
      response.headers.set("Bulwark-Region", answer.region.name);
      return response;
    } catch (e) {
      return originFailed(e, new URL(request.url).pathname);
    }
  }

  async function cached(request: Request, url: URL, origin: OriginRequest, config: Settings, ctx: ExecutionContext): Promise<Response> {
    const cache = new EdgeCache(await cacheOf());
    const key = baseKey(url);
    const regions = readOrder(config.regions, geo(request));
    // The origin is asked for a whole answer; the caller's own validators are answered here.
    origin.headers.delete("If-None-Match");
    origin.headers.delete("If-Modified-Since");
    // This isolate's memory first, then the Cache API (whose answer this isolate then keeps).
    let stored = local.get(key, now());
    if (!stored) {
      stored = await cache.lookup(key, request.headers);
      if (stored) {
        local.put(key, stored, now());
      }
    }
    const nowMs = now();
    if (stored) {
      const age = ageOf(stored, nowMs);
      const { fresh, swr, sie } = stored.lifetimes;
      if (age < fresh) {
        return answer(request, stored.snapshot, "HIT", age);
      }
      if (age < fresh + swr) {
        if (!revalidating.has(key)) {
          revalidating.add(key);
          ctx.waitUntil(
            revalidate(key, request.headers, origin, regions, config, stored, cache, ctx)
              .catch((e) => console.error(`revalidation of ${url.pathname} failed: ${String(e)}`))
              .finally(() => revalidating.delete(key)),
          );
        }
        return answer(request, stored.snapshot, "STALE", age);
      }
      const result = await revalidate(key, request.headers, origin, regions, config, stored, cache, ctx);
      if (result instanceof OriginFailure) {
        if (age < fresh + sie) {
          return answer(request, stored.snapshot, "STALE", age);
        }
        return originFailed(result, url.pathname);
      }
      return answer(request, result.snapshot, result.revalidated ? "REVALIDATED" : "MISS", result.revalidated ? 0 : originAgeOf(result.snapshot));
    }
    const fetched = await shared(key, request.headers, () => fetchWhole(origin, regions, config), followerWaitMs(config, regions));
    if (fetched instanceof OriginFailure) {
      return originFailed(fetched, url.pathname);
    }
    const life = lifetimes(fetched.status, new Headers(fetched.headers), config.staleIfErrorSeconds);
    if (!life) {
      return answer(request, fetched, "BYPASS", originAgeOf(fetched));
    }
    ctx.waitUntil(cache.store(key, request.headers, fetched, life, nowMs, originAgeOf(fetched)));
    local.put(key, { snapshot: fetched, storedAtMs: nowMs, originAge: originAgeOf(fetched), lifetimes: life }, nowMs);
    return answer(request, fetched, "MISS", originAgeOf(fetched));
  }

  /**
   * Asks the origin again for a stored answer (`If-None-Match` with its ETag): a 304 refreshes the
   * stored copy without a body; a 200 replaces it; a failure is returned for the caller to judge.
   */
  async function revalidate(
    key: string,
    requestHeaders: Headers,
    origin: OriginRequest,
    regions: Region[],
    config: Settings,
    stored: Stored,
    cache: EdgeCache,
    ctx: ExecutionContext,
  ): Promise<{ snapshot: Snapshot; revalidated: boolean } | OriginFailure> {
    const etag = stored.snapshot.headers.find(([n]) => n.toLowerCase() === "etag")?.[1];
    const conditional: OriginRequest = { ...origin, headers: new Headers(origin.headers) };
    if (etag) {
      conditional.headers.set("If-None-Match", etag);
    }
    const result = await shared(
      `${key}#revalidate`,
      requestHeaders,
      () => fetchWhole(conditional, regions, config),
      followerWaitMs(config, regions),
    );
    if (result instanceof OriginFailure) {
      return result;
    }
    const nowMs = now();
    if (result.status === 304) {
      const refreshedHeaders = mergeHeaders(stored.snapshot.headers, result.headers);
      const snapshot: Snapshot = { ...stored.snapshot, headers: refreshedHeaders, region: result.region };
      const life = lifetimes(200, new Headers(refreshedHeaders), config.staleIfErrorSeconds) ?? stored.lifetimes;
      // The caller is answered from memory; the shared copy is written behind the answer.
      local.put(key, { snapshot, storedAtMs: nowMs, originAge: 0, lifetimes: life }, nowMs);
      ctx.waitUntil(cache.store(key, requestHeaders, snapshot, life, nowMs, 0));
      return { snapshot, revalidated: true };
    }
    const life = lifetimes(result.status, new Headers(result.headers), config.staleIfErrorSeconds);
    if (life) {
      local.put(key, { snapshot: result, storedAtMs: nowMs, originAge: originAgeOf(result), lifetimes: life }, nowMs);
      ctx.waitUntil(cache.store(key, requestHeaders, result, life, nowMs, originAgeOf(result)));
    } else {
      local.remove(key);
      ctx.waitUntil(cache.purge(key));
    }
    return { snapshot: result, revalidated: false };
  }

  /** One origin request per key and Vary values at a time in this isolate; the others wait for its answer. */
  async function shared(
    key: string,
    requestHeaders: Headers,
    load: () => Promise<Snapshot>,
    waitMs: number,
  ): Promise<Snapshot | OriginFailure> {
    const entry = inflight.get(key);
    // An entry older than the wait is one whose request was cancelled before it could remove it.
    const pending = entry && now() - entry.startedAtMs <= waitMs ? entry.promise : undefined;
    if (pending) {
      // The leader's request may be cancelled (its caller gone), and with it the continuations of
      // everyone awaiting its promise: wait a bounded time, then ask the origin ourselves.
      const result = await Promise.race([pending, new Promise<undefined>((resolve) => setTimeout(resolve, waitMs))]);
      if (result instanceof OriginFailure) {
        return result;
      }
      // The leader's answer fits a follower only if the two agree on every header it varies on.
      if (result && result.varyValues === varyValuesOf(result.snapshot, requestHeaders)) {
        return result.snapshot;
      }
    }
    const promise = load().then(
      (snapshot) => ({ snapshot, varyValues: varyValuesOf(snapshot, requestHeaders) }),
      (e: unknown) => (e instanceof OriginFailure ? e : new OriginFailure("unreachable", String(e))),
    );
    if (!pending) {
      const mine = { promise, startedAtMs: now() };
      inflight.set(key, mine);
      promise.finally(() => {
        if (inflight.get(key) === mine) {
          inflight.delete(key);
        }
      });
    }
    const result = await promise;
    return result instanceof OriginFailure ? result : result.snapshot;
  }

  async function fetchWhole(origin: OriginRequest, regions: Region[], config: Settings): Promise<Snapshot> {
    const { response, region } = await send(origin, regions, config, fetcher, now(), true);
    return {
      status: response.status,
      headers: [...response.headers],
      body: response.status === 304 ? null : await response.arrayBuffer(),
      region: region.name,
    };
  }

  async function purge(request: Request, url: URL): Promise<Response> {
    let paths: unknown;
    try {
      paths = ((await request.json()) as { paths?: unknown }).paths;
    } catch {
      paths = undefined;
    }
    if (!Array.isArray(paths) || paths.length === 0 || paths.length > 100 || !paths.every((p) => typeof p === "string" && p.startsWith("/query/"))) {
      return problem(400, "bad-purge", 'Send {"paths": ["/query/..."]}: 1 to 100 paths of cached query answers', url.pathname);
    }
    const cache = new EdgeCache(await cacheOf());
    let purged = 0;
    for (const path of paths as string[]) {
      const key = baseKey(new URL(path, url));
      local.remove(key);
      if (await cache.purge(key)) {
        purged++;
      }
    }
    return Response.json({ purged, requested: paths.length }, { headers: { "Cache-Control": "no-store" } });
  }

  return {
    async fetch(request, env, ctx) {
      let response: Response;
      try {
        response = await handle(request, env, ctx);
      } catch (e) {
        // A defect, not the caller's fault: the log has the cause, the caller a stable code.
        console.error(`edge-internal: ${request.method} ${new URL(request.url).pathname}: ${e instanceof Error ? e.stack : String(e)}`);
        response = problem(500, "edge-internal", "The edge failed to answer; its log has the cause", new URL(request.url).pathname);
      }
      // Every answer says what the cache did; one it took no part in is BYPASS.
      if (!response.headers.has("Bulwark-Cache")) {
        response.headers.set("Bulwark-Cache", "BYPASS");
        if (!response.headers.has("Age")) {
          response.headers.set("Age", "0");
        }
      }
      return response;
    },
  };
}

/** The answer to a caller from a whole snapshot: its own `If-None-Match` gets a 304. */
function answer(request: Request, snapshot: Snapshot, state: string, age: number): Response {
  const headers = new Headers(snapshot.headers);
  headers.set("Bulwark-Cache", state);
  headers.set("Bulwark-Region", snapshot.region);
  headers.set("Age", String(Math.max(0, Math.floor(age))));
  const etag = headers.get("ETag");
  const ifNoneMatch = request.headers.get("If-None-Match");
  if (etag && ifNoneMatch && snapshot.status === 200 && matchesEtag(ifNoneMatch, etag)) {
    headers.delete("Content-Length");
    return new Response(null, { status: 304, headers });
  }
  return new Response(request.method === "HEAD" ? null : snapshot.body, { status: snapshot.status, headers });
}

function matchesEtag(ifNoneMatch: string, etag: string): boolean {
  const strip = (t: string) => t.trim().replace(/^W\//, "");
  return ifNoneMatch.split(",").some((t) => t.trim() === "*" || strip(t) === strip(etag));
}

/** How long a caller waits for another's origin request: every attempt it may make, and a little. */
function followerWaitMs(config: Settings, regions: Region[]): number {
  return config.originTimeoutMs * regions.length + 250;
}

function ageOf(stored: Stored, nowMs: number): number {
  return (nowMs - stored.storedAtMs) / 1000 + stored.originAge;
}

function originAgeOf(snapshot: Snapshot): number {
  const age = Number(snapshot.headers.find(([n]) => n.toLowerCase() === "age")?.[1] ?? 0);
  return Number.isFinite(age) && age > 0 ? age : 0;
}

function varyValuesOf(snapshot: Snapshot, request: Headers): string {
  return varyNames(snapshot.headers)
    .map((n) => `${n}=${request.get(n) ?? ""}`)
    .join("&");
}

/** A 304 updates the stored headers it names (RFC 9111 §4.3.4), keeping the stored body. */
function mergeHeaders(stored: [string, string][], fresh: [string, string][]): [string, string][] {
  const merged = new Headers(stored);
  for (const [name, value] of fresh) {
    const lower = name.toLowerCase();
    if (lower !== "content-length" && lower !== "content-type" && lower !== "transfer-encoding") {
      merged.set(name, value);
    }
  }
  return [...merged];
}

function geo(request: Request): { country?: string; continent?: string } {
  const cf = (request as Request & { cf?: { country?: string; continent?: string } }).cf;
  return { country: cf?.country, continent: cf?.continent };
}

/** The customer a write is for: the path's, else the body's `customerId`, else the token's subject. */
function customerOf(route: Route, body: ArrayBuffer | null, identity: Identity): string {
  if (route.customerId) {
    return route.customerId;
  }
  if (body && body.byteLength > 0 && body.byteLength < 65_536) {
    try {
      const parsed = JSON.parse(new TextDecoder().decode(body)) as { customerId?: unknown };
      if (typeof parsed.customerId === "string" && parsed.customerId) {
        return parsed.customerId;
      }
    } catch {
      // Not JSON: the origin will say so; route by the subject.
    }
  }
  return identity.subject;
}

function originFailed(e: unknown, instance: string): Response {
  if (e instanceof OriginFailure) {
    if (e.lastAnswer) {
      const headers = new Headers(e.lastAnswer.headers);
      headers.set("Bulwark-Region", e.lastAnswer.region);
      return new Response(e.lastAnswer.body, { status: e.lastAnswer.status, headers });
    }
    const timeout = e.kind === "timeout";
    return problem(timeout ? 504 : 502, timeout ? "origin-timeout" : "origin-unreachable", `No origin answered: ${e.message}`, instance, {
      "Retry-After": "1",
    });
  }
  throw e;
}

export default createWorker();

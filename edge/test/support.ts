import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { createWorker } from "../src/index";
import { toBase64url } from "../src/jwt";

/** Test keys: one HS256 secret and one ES256 key pair, published in the JWKS KV entry. */
export interface TestKeys {
  hs: CryptoKey;
  es: CryptoKeyPair;
  jwks: { keys: JsonWebKey[] };
}

export async function makeKeys(hsKid = "hs-1", esKid = "es-1"): Promise<TestKeys> {
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const hs = await crypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, true, ["sign", "verify"]);
  const es = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const hsJwk = { ...((await crypto.subtle.exportKey("jwk", hs)) as JsonWebKey), kid: hsKid, alg: "HS256" };
  const esJwk = { ...((await crypto.subtle.exportKey("jwk", es.publicKey)) as JsonWebKey), kid: esKid, alg: "ES256" };
  return { hs, es, jwks: { keys: [hsJwk, esJwk] } };
}

export async function publish(jwks: { keys: JsonWebKey[] }): Promise<void> {
  await env.JWKS.put("jwks", JSON.stringify(jwks));
}

/** Fresh keys, published, and the Authorization header of an HS256 token with `extra` claims. */
export async function publishedKeys(extra: Claims = {}): Promise<{ keys: TestKeys; auth: Record<string, string> }> {
  const keys = await makeKeys();
  await publish(keys.jwks);
  return { keys, auth: { Authorization: `Bearer ${await mint(keys.hs, "hs-1", claims(extra))}` } };
}

export interface Claims {
  sub?: string;
  aud?: string | string[];
  exp?: number;
  nbf?: number;
  scope?: string;
  client_id?: string;
  [claim: string]: unknown;
}

const text = (s: string) => new TextEncoder().encode(s);

/** A signed compact JWT; `alg` defaults to the key's. */
export async function mint(key: CryptoKey, kid: string, claims: Claims, alg?: string): Promise<string> {
  const algorithm = alg ?? (key.algorithm.name === "HMAC" ? "HS256" : "ES256");
  const header = toBase64url(text(JSON.stringify({ alg: algorithm, kid, typ: "JWT" })));
  const payload = toBase64url(text(JSON.stringify(claims)));
  const signature =
    key.algorithm.name === "HMAC"
      ? await crypto.subtle.sign("HMAC", key, text(`${header}.${payload}`))
      : await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, key, text(`${header}.${payload}`));
  return `${header}.${payload}.${toBase64url(signature)}`;
}

export const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);

/** Claims valid at {@link NOW} for every route. */
export function claims(extra: Claims = {}): Claims {
  return {
    sub: "customer-7",
    aud: "bulwark",
    exp: NOW / 1000 + 600,
    scope: "query:read orders:write orders:read customers:write customers:read",
    client_id: "shop",
    ...extra,
  };
}

export interface OriginCall {
  url: string;
  method: string;
  headers: Headers;
  body: string;
}

export type OriginHandler = (call: OriginCall) => Response | Promise<Response>;

/** A worker with a hand-moved clock, a fake origin that records every call, and its own cache. */
export function harness(origin: OriginHandler) {
  let now = NOW;
  const calls: OriginCall[] = [];
  const cacheName = `test-${crypto.randomUUID()}`;
  const lookups = { done: 0 };
  const worker = createWorker({
    now: () => now,
    cache: async () => {
      const cache = await caches.open(cacheName);
      // Counts finished lookups, so that a test can tell when concurrent requests are all past theirs.
      return new Proxy(cache, {
        get(target, name) {
          if (name === "match") {
            return async (...args: Parameters<Cache["match"]>) => {
              const found = await target.match(...args);
              lookups.done++;
              return found;
            };
          }
          const value = Reflect.get(target, name);
          return typeof value === "function" ? value.bind(target) : value;
        },
      });
    },
    fetcher: async (input, init) => {
      const request = new Request(input as RequestInfo, init);
      const call: OriginCall = {
        url: request.url,
        method: request.method,
        headers: request.headers,
        body: request.body ? await request.text() : "",
      };
      calls.push(call);
      return abortable(origin(call), init?.signal ?? undefined);
    },
  });
  return {
    calls,
    lookups,
    advance(ms: number) {
      now += ms;
    },
    now: () => now,
    /** Sends a request through the worker and waits for its background work (revalidations, stores). */
    async send(path: string, init: RequestInit & { cf?: Record<string, string> } = {}): Promise<Response> {
      const ctx = createExecutionContext();
      const request = new Request(`https://edge.test${path}`, init as RequestInit);
      if (init.cf) {
        Object.defineProperty(request, "cf", { value: init.cf });
      }
      const response = await worker.fetch!(request as Request<unknown, IncomingRequestCfProperties>, env, ctx);
      await waitOnExecutionContext(ctx);
      return response;
    },
    /** Sends without waiting for background work. */
    async sendNoWait(path: string, init: RequestInit = {}): Promise<{ response: Response; done: Promise<void> }> {
      const ctx = createExecutionContext();
      const response = await worker.fetch!(new Request(`https://edge.test${path}`, init) as never, env, ctx);
      return { response, done: waitOnExecutionContext(ctx) };
    },
  };
}

/** Rejects like fetch does when the signal aborts (a timeout), for origins that never answer. */
async function abortable(answer: Response | Promise<Response>, signal: AbortSignal | undefined): Promise<Response> {
  if (!signal) {
    return answer;
  }
  return Promise.race([
    Promise.resolve(answer),
    new Promise<Response>((_, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
      }
      signal.addEventListener("abort", () => reject(signal.reason));
    }),
  ]);
}

/** An origin that never answers (the worker's timeout must end the attempt). */
export function never(): Promise<Response> {
  return new Promise(() => {});
}

export function json(body: unknown, headers: Record<string, string> = {}, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json", ...headers } });
}

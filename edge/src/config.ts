/**
 * The worker's bindings and settings, parsed and checked once per isolate. A setting that is
 * missing or malformed fails every request with a 500 `edge-misconfigured` naming the setting (the
 * edge has no start-up to fail), and the same text goes to the log.
 */

export interface Env {
  /** KV namespace holding the JSON Web Key Set under the key `jwks` (rotation: add the new key, then drop the old). */
  JWKS: KVNamespace;
  /** JSON region table, see {@link Region}. */
  REGIONS: string;
  /** The audience every token must name in `aud`. */
  JWT_AUDIENCE: string;
  /** When set, the issuer every token must name in `iss`. */
  JWT_ISSUER?: string;
  /** Clock skew allowed on `exp`/`nbf`, seconds (default 60). */
  CLOCK_SKEW_S?: string;
  /** Per-attempt origin timeout, milliseconds (default 2000). */
  ORIGIN_TIMEOUT_MS?: string;
  /** How long a stored answer may stand in when the origin fails and it says no `stale-if-error` itself, seconds (default 300). */
  STALE_IF_ERROR_S?: string;
  /** "true" forwards the caller's `Authorization` header to the origin (default: it is dropped). */
  FORWARD_TOKEN?: string;
  /** HMAC secret shared with the origins: signs the identity headers (secret; at least 32 characters). */
  EDGE_ORIGIN_SECRET: string;
}

/** One region: where its origins live and which callers it serves. */
export interface Region {
  name: string;
  /** Base URL of the query API (streams app), e.g. `https://query.eu.example.com`. */
  query: string;
  /** Base URL of order-api. */
  orders: string;
  /** ISO 3166 country codes served by this region (from `request.cf.country`). */
  countries?: string[];
  /** Continent codes served (from `request.cf.continent`), used when no region names the country. */
  continents?: string[];
}

export interface Settings {
  regions: Region[];
  audience: string;
  issuer?: string;
  clockSkewSeconds: number;
  originTimeoutMs: number;
  staleIfErrorSeconds: number;
  forwardToken: boolean;
  originSecret: string;
}

export class ConfigError extends Error {}

let cached: { env: Env; settings: Settings } | undefined;

/** The settings of `env`, parsed once per isolate (bindings do not change within one). */
export function settings(env: Env): Settings {
  if (cached?.env === env) {
    return cached.settings;
  }
  const parsed = parse(env);
  cached = { env, settings: parsed };
  return parsed;
}

export function parse(env: Env): Settings {
  if (!env.JWKS) {
    throw new ConfigError("JWKS: the KV namespace binding is missing");
  }
  if (!env.JWT_AUDIENCE) {
    throw new ConfigError("JWT_AUDIENCE must name the audience tokens are issued for");
  }
  if (!env.EDGE_ORIGIN_SECRET || env.EDGE_ORIGIN_SECRET.length < 32) {
    throw new ConfigError("EDGE_ORIGIN_SECRET must be set (a secret of at least 32 characters, shared with the origins)");
  }
  return {
    regions: regions(env.REGIONS),
    audience: env.JWT_AUDIENCE,
    issuer: env.JWT_ISSUER || undefined,
    clockSkewSeconds: number("CLOCK_SKEW_S", env.CLOCK_SKEW_S, 60, 0, 600),
    originTimeoutMs: number("ORIGIN_TIMEOUT_MS", env.ORIGIN_TIMEOUT_MS, 2000, 50, 60_000),
    staleIfErrorSeconds: number("STALE_IF_ERROR_S", env.STALE_IF_ERROR_S, 300, 0, 86_400),
    forwardToken: env.FORWARD_TOKEN === "true",
    originSecret: env.EDGE_ORIGIN_SECRET,
  };
}

function number(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === "") {
    return fallback;
  }
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, not '${value}'`);
  }
  return n;
}

function regions(value: string | undefined): Region[] {
  let table: unknown;
  try {
    table = typeof value === "string" ? JSON.parse(value) : value;
  } catch {
    throw new ConfigError("REGIONS must be a JSON array of {name, query, orders, countries?, continents?}");
  }
  if (!Array.isArray(table) || table.length === 0) {
    throw new ConfigError("REGIONS must list at least one region");
  }
  const names = new Set<string>();
  return table.map((entry, index) => {
    const r = entry as Region;
    if (!r || typeof r.name !== "string" || !r.name || names.has(r.name)) {
      throw new ConfigError(`REGIONS[${index}] needs a unique name`);
    }
    names.add(r.name);
    for (const service of ["query", "orders"] as const) {
      try {
        const url = new URL(r[service]);
        if (url.protocol !== "https:" && url.protocol !== "http:") {
          throw new Error();
        }
      } catch {
        throw new ConfigError(`REGIONS[${index}] (${r.name}).${service} must be an http(s) base URL`);
      }
    }
    return {
      name: r.name,
      query: r.query.replace(/\/+$/, ""),
      orders: r.orders.replace(/\/+$/, ""),
      countries: (r.countries ?? []).map((c) => c.toUpperCase()),
      continents: (r.continents ?? []).map((c) => c.toUpperCase()),
    };
  });
}

import type { Region, Settings } from "./config";
import type { Snapshot } from "./cache";
import { signIdentity } from "./identity";
import type { Identity } from "./jwt";
import type { Service } from "./routes";

/**
 * Requests to the origins with a per-attempt timeout (`AbortSignal.timeout`). A read fails over to
 * the next region on a timeout, a refused connection or a 5xx; a write is tried in its home region
 * only, and a second time only when it is safe to repeat (an idempotent method, or an
 * `Idempotency-Key` the origin deduplicates by).
 */

export interface OriginRequest {
  method: string;
  service: Exclude<Service, "edge">;
  pathAndQuery: string;
  headers: Headers;
  body: ArrayBuffer | null;
  /** The caller, signed into the headers when (and only when) the origin is asked. */
  identity: Identity;
}

export interface OriginAnswer {
  response: Response;
  region: Region;
}

/**
 * Every attempt failed: the last 5xx answer, read whole (so that every caller sharing the request can
 * be given it), when there was one; else why the origin was not reached.
 */
export class OriginFailure extends Error {
  constructor(
    readonly kind: "timeout" | "unreachable" | "error-status",
    message: string,
    readonly lastAnswer?: Snapshot,
  ) {
    super(message);
  }
}

/** Tries `attempts` in order; `readBody` reads the whole body within the attempt (so a stalled body fails over too). */
export async function send(
  request: OriginRequest,
  attempts: Region[],
  settings: Settings,
  fetcher: typeof fetch,
  nowMs: number,
  readBody = false,
): Promise<OriginAnswer> {
  const headers = new Headers(request.headers);
  await signIdentity(headers, request.identity, request.method, request.pathAndQuery, settings.originSecret, nowMs);
  let failure: OriginFailure | undefined;
  for (const [index, region] of attempts.entries()) {
    const last = index === attempts.length - 1;
    try {
      const signal = AbortSignal.timeout(settings.originTimeoutMs);
      let response = await fetcher(region[request.service] + request.pathAndQuery, {
        method: request.method,
        headers,
        body: request.body,
        signal,
        redirect: "manual",
      });
      if (readBody && request.method !== "HEAD") {
        const body = await response.arrayBuffer();
        response = new Response(response.status === 304 ? null : body, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        });
      }
      if (response.status >= 500 && !last) {
        await response.body?.cancel();
        failure = new OriginFailure("error-status", `${region.name} answered ${response.status}`);
        continue;
      }
      if (response.status >= 500) {
        throw new OriginFailure("error-status", `${region.name} answered ${response.status}`, {
          status: response.status,
          headers: [...response.headers],
          body: await response.arrayBuffer(),
          region: region.name,
        });
      }
      return { response, region };
    } catch (e) {
      if (e instanceof OriginFailure) {
        throw e;
      }
      const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
      failure = new OriginFailure(
        timedOut ? "timeout" : "unreachable",
        `${region.name} ${timedOut ? `did not answer within ${settings.originTimeoutMs} ms` : "could not be reached"}`,
      );
    }
  }
  throw failure ?? new OriginFailure("unreachable", "no region to try");
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "content-length",
]);

/**
 * The headers the origin gets: the caller's, without hop-by-hop headers, without anything claiming
 * to be an edge identity (only the edge signs those), without the token unless it is to be forwarded,
 * and without API keys (the edge authenticates by token).
 */
export function originHeaders(incoming: Headers, forwardToken: boolean): Headers {
  const headers = new Headers();
  for (const [name, value] of incoming) {
    const lower = name.toLowerCase();
    if (
      HOP_BY_HOP.has(lower) ||
      lower.startsWith("bulwark-edge-") ||
      lower.startsWith("cf-") ||
      lower === "x-api-key" ||
      (lower === "authorization" && !forwardToken)
    ) {
      continue;
    }
    headers.set(name, value);
  }
  return headers;
}

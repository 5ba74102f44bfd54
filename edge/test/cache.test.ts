import { beforeAll, describe, expect, it } from "vitest";
import { type OriginCall, type TestKeys, claims, harness, json, mint, never, publishedKeys } from "./support";

/** The query API's default answer: shared, 1 s fresh, 5 s stale-while-revalidate. */
const SHARED = { "Cache-Control": "public, max-age=1, stale-while-revalidate=5", "CDN-Cache-Control": "max-age=1, stale-while-revalidate=5" };

/** An origin with a version it answers with, an ETag per version, and 304 to a matching If-None-Match. */
function versionedOrigin(headers: Record<string, string> = SHARED) {
  const state = { version: 1, fail: false, hang: false };
  const handler = (call: OriginCall): Response | Promise<Response> => {
    if (state.hang) {
      return never();
    }
    if (state.fail) {
      return json({ code: "store-unavailable" }, { "Retry-After": "1" }, 503);
    }
    const etag = `"v${state.version}"`;
    if (call.headers.get("If-None-Match") === etag) {
      return new Response(null, { status: 304, headers: { ETag: etag, ...headers } });
    }
    return json({ version: state.version }, { ETag: etag, ...headers });
  };
  return { state, handler };
}

describe("edge cache", () => {
  let keys: TestKeys;
  let auth: Record<string, string>;
  beforeAll(async () => {
    ({ keys, auth } = await publishedKeys({ scope: "query:read edge:purge" }));
  });

  it("answers MISS, then HIT without an origin request, with Age counting up", async () => {
    const origin = versionedOrigin();
    const h = harness(origin.handler);
    const first = await h.send("/query/inventory/items/sku-1", { headers: auth });
    expect(first.headers.get("Bulwark-Cache")).toBe("MISS");
    expect(first.headers.get("Age")).toBe("0");
    expect(first.headers.get("Bulwark-Region")).toBe("eu");
    expect(await first.json()).toEqual({ version: 1 });
    h.advance(600);
    const second = await h.send("/query/inventory/items/sku-1", { headers: auth });
    expect(second.headers.get("Bulwark-Cache")).toBe("HIT");
    expect(second.headers.get("Age")).toBe("0");
    expect(second.headers.get("ETag")).toBe('"v1"');
    expect(second.headers.get("Cache-Control")).toBe(SHARED["Cache-Control"]);
    expect(second.headers.get("Bulwark-Region")).toBe("eu");
    expect(await second.json()).toEqual({ version: 1 });
    expect(h.calls).toHaveLength(1);
  });

  it("keys by path with the query parameters in any order", async () => {
    const h = harness(versionedOrigin().handler);
    await h.send("/query/stock/sku-1?asOf=2026-01-01T00:00:00Z&x=1", { headers: auth });
    const again = await h.send("/query/stock/sku-1?x=1&asOf=2026-01-01T00:00:00Z", { headers: auth });
    expect(again.headers.get("Bulwark-Cache")).toBe("HIT");
    expect(h.calls).toHaveLength(1);
  });

  it("never stores a private answer", async () => {
    const h = harness(() => json({ mine: true }, { "Cache-Control": "private, max-age=60" }));
    const first = await h.send("/query/customers/c-1/orders", { headers: auth });
    const second = await h.send("/query/customers/c-1/orders", { headers: auth });
    expect(first.headers.get("Bulwark-Cache")).toBe("BYPASS");
    expect(second.headers.get("Bulwark-Cache")).toBe("BYPASS");
    expect(h.calls).toHaveLength(2);
  });

  it("takes the lifetime from CDN-Cache-Control, then s-maxage, then max-age", async () => {
    const h = harness((call) =>
      call.url.includes("cdn")
        ? json({}, { "Cache-Control": "public, max-age=100", "CDN-Cache-Control": "max-age=2" })
        : json({}, { "Cache-Control": "public, max-age=1, s-maxage=10" }),
    );
    await h.send("/query/cdn", { headers: auth });
    await h.send("/query/smax", { headers: auth });
    h.advance(3_000);
    expect((await h.send("/query/cdn", { headers: auth })).headers.get("Bulwark-Cache")).not.toBe("HIT");
    expect((await h.send("/query/smax", { headers: auth })).headers.get("Bulwark-Cache")).toBe("HIT");
  });

  it("serves a stale copy within stale-while-revalidate and revalidates it in the background with If-None-Match", async () => {
    const origin = versionedOrigin();
    const h = harness(origin.handler);
    await h.send("/query/inventory/items/sku-2", { headers: auth });
    h.advance(2_000);
    const stale = await h.send("/query/inventory/items/sku-2", { headers: auth });
    expect(stale.headers.get("Bulwark-Cache")).toBe("STALE");
    expect(stale.headers.get("Age")).toBe("2");
    expect(h.calls).toHaveLength(2);
    expect(h.calls[1].headers.get("If-None-Match")).toBe('"v1"');
    // The 304 refreshed the stored copy: fresh again, no body sent twice.
    const hit = await h.send("/query/inventory/items/sku-2", { headers: auth });
    expect(hit.headers.get("Bulwark-Cache")).toBe("HIT");
    expect(hit.headers.get("Age")).toBe("0");
    expect(await hit.json()).toEqual({ version: 1 });
    expect(h.calls).toHaveLength(2);
  });

  it("brings a new version in by background revalidation", async () => {
    const origin = versionedOrigin();
    const h = harness(origin.handler);
    await h.send("/query/inventory/items/sku-3", { headers: auth });
    origin.state.version = 2;
    h.advance(2_000);
    expect(await (await h.send("/query/inventory/items/sku-3", { headers: auth })).json()).toEqual({ version: 1 });
    const next = await h.send("/query/inventory/items/sku-3", { headers: auth });
    expect(next.headers.get("Bulwark-Cache")).toBe("HIT");
    expect(await next.json()).toEqual({ version: 2 });
  });

  it("revalidates in line past the stale window: 304 → REVALIDATED with the stored body", async () => {
    const h = harness(versionedOrigin().handler);
    await h.send("/query/inventory/items/sku-4", { headers: auth });
    h.advance(10_000);
    const revalidated = await h.send("/query/inventory/items/sku-4", { headers: auth });
    expect(revalidated.headers.get("Bulwark-Cache")).toBe("REVALIDATED");
    expect(revalidated.headers.get("Age")).toBe("0");
    expect(await revalidated.json()).toEqual({ version: 1 });
    expect(h.calls[1].headers.get("If-None-Match")).toBe('"v1"');
  });

  it("serves the stored copy while the origin fails, within stale-if-error, and the failure after it", async () => {
    const origin = versionedOrigin({ "Cache-Control": "public, max-age=1, stale-while-revalidate=5, stale-if-error=30" });
    const h = harness(origin.handler);
    await h.send("/query/inventory/items/sku-5", { headers: auth });
    origin.state.fail = true;
    h.advance(20_000);
    const rescued = await h.send("/query/inventory/items/sku-5", { headers: auth });
    expect(rescued.status).toBe(200);
    expect(rescued.headers.get("Bulwark-Cache")).toBe("STALE");
    expect(await rescued.json()).toEqual({ version: 1 });
    origin.state.hang = true;
    expect((await h.send("/query/inventory/items/sku-5", { headers: auth })).headers.get("Bulwark-Cache")).toBe("STALE");
    origin.state.hang = false;
    h.advance(20_000);
    const failed = await h.send("/query/inventory/items/sku-5", { headers: auth });
    expect(failed.status).toBe(503);
    expect(failed.headers.get("Retry-After")).toBe("1");
  });

  it("shares one origin request between concurrent misses of one key", async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const h = harness(async () => {
      await gate;
      return json({ shared: true }, SHARED);
    });
    const pending = Array.from({ length: 8 }, () => h.sendNoWait("/query/inventory/items/sku-6", { headers: auth }));
    // Every request has looked the key up and missed; one macrotask later all are waiting on the origin.
    while (h.lookups.done < 8) {
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
    release();
    const answers = await Promise.all(pending);
    for (const { response, done } of answers) {
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ shared: true });
      await done;
    }
    expect(h.calls).toHaveLength(1);
  });

  it("splits the key by a Vary header other than credentials", async () => {
    const h = harness((call) =>
      json({ lang: call.headers.get("Accept-Language") }, { ...SHARED, Vary: "Accept-Language, Authorization" }),
    );
    const en = await h.send("/query/items/sku-7", { headers: { ...auth, "Accept-Language": "en" } });
    const de = await h.send("/query/items/sku-7", { headers: { ...auth, "Accept-Language": "de" } });
    expect(await de.json()).toEqual({ lang: "de" });
    const enAgain = await h.send("/query/items/sku-7", { headers: { ...auth, "Accept-Language": "en" } });
    expect(en.headers.get("Bulwark-Cache")).toBe("MISS");
    expect(enAgain.headers.get("Bulwark-Cache")).toBe("HIT");
    expect(await enAgain.json()).toEqual({ lang: "en" });
    const deAgain = await h.send("/query/items/sku-7", { headers: { ...auth, "Accept-Language": "de" } });
    expect(await deAgain.json()).toEqual({ lang: "de" });
    expect(h.calls).toHaveLength(2);
  });

  it("does not store an answer that varies on everything", async () => {
    const h = harness(() => json({}, { ...SHARED, Vary: "*" }));
    await h.send("/query/items/sku-8", { headers: auth });
    expect((await h.send("/query/items/sku-8", { headers: auth })).headers.get("Bulwark-Cache")).toBe("BYPASS");
    expect(h.calls).toHaveLength(2);
  });

  it("answers the caller's If-None-Match with 304 from the edge", async () => {
    const h = harness(versionedOrigin().handler);
    await h.send("/query/inventory/items/sku-9", { headers: auth });
    const notModified = await h.send("/query/inventory/items/sku-9", { headers: { ...auth, "If-None-Match": '"v1"' } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get("Bulwark-Cache")).toBe("HIT");
    expect(h.calls).toHaveLength(1);
    expect(h.calls[0].headers.get("If-None-Match")).toBeNull();
  });

  it("purges by path for a caller with edge:purge, and refuses one without", async () => {
    const h = harness(versionedOrigin().handler);
    await h.send("/query/inventory/items/sku-10?b=2&a=1", { headers: auth });
    const reader = { Authorization: `Bearer ${await mint(keys.hs, "hs-1", claims({ scope: "query:read" }))}` };
    const refused = await h.send("/_edge/purge", { method: "POST", headers: reader, body: JSON.stringify({ paths: ["/query/inventory/items/sku-10"] }) });
    expect(refused.status).toBe(403);
    const bad = await h.send("/_edge/purge", { method: "POST", headers: auth, body: JSON.stringify({ paths: ["/orders/1"] }) });
    expect(bad.status).toBe(400);
    const purged = await h.send("/_edge/purge", { method: "POST", headers: auth, body: JSON.stringify({ paths: ["/query/inventory/items/sku-10?a=1&b=2"] }) });
    expect(await purged.json()).toEqual({ purged: 1, requested: 1 });
    const after = await h.send("/query/inventory/items/sku-10?a=1&b=2", { headers: auth });
    expect(after.headers.get("Bulwark-Cache")).toBe("MISS");
    expect(h.calls).toHaveLength(2);
  });

  it("stores nothing but 200 answers", async () => {
    const h = harness(() => json({ code: "unknown-id" }, { "Cache-Control": "public, max-age=60" }, 404));
    await h.send("/query/inventory/items/none", { headers: auth });
    const again = await h.send("/query/inventory/items/none", { headers: auth });
    expect(again.status).toBe(404);
    expect(again.headers.get("Bulwark-Cache")).toBe("BYPASS");
    expect(h.calls).toHaveLength(2);
  });
});

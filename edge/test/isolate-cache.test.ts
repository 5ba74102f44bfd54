import { describe, expect, it } from "vitest";
import { IsolateCache, type Stored } from "../src/cache";

function stored(bytes: number, fresh = 60, headers: [string, string][] = [], swr = 0): Stored {
  return {
    snapshot: { status: 200, headers, body: new ArrayBuffer(bytes), region: "eu" },
    storedAtMs: 0,
    originAge: 0,
    lifetimes: { fresh, swr, sie: 600 },
  };
}

describe("the isolate's own cache", () => {
  it("holds an answer while fresh or within stale-while-revalidate, at most five seconds", () => {
    const cache = new IsolateCache();
    cache.put("a", stored(10, 1, [], 1), 0);
    cache.put("b", stored(10, 60), 0);
    expect(cache.get("a", 1_999)).toBeDefined();
    expect(cache.get("a", 2_000)).toBeUndefined();
    expect(cache.get("b", 4_999)).toBeDefined();
    expect(cache.get("b", 5_000)).toBeUndefined();
  });

  it("keeps at most its entry count, dropping the least recently used", () => {
    const cache = new IsolateCache();
    for (let i = 0; i < IsolateCache.MAX_ENTRIES; i++) {
      cache.put(`k${i}`, stored(1), 0);
    }
    cache.get("k0", 1);
    cache.put("one-more", stored(1), 1);
    expect(cache.get("k0", 2)).toBeDefined();
    expect(cache.get("k1", 2)).toBeUndefined();
    expect(cache.get("one-more", 2)).toBeDefined();
  });

  it("keeps at most its byte budget", () => {
    const cache = new IsolateCache();
    const big = IsolateCache.MAX_BYTES / 16 - 1_000;
    for (let i = 0; i < 20; i++) {
      cache.put(`k${i}`, stored(big), 0);
    }
    const held = Array.from({ length: 20 }, (_, i) => cache.get(`k${i}`, 1)).filter(Boolean).length;
    expect(held).toBeLessThanOrEqual(16);
    expect(cache.get("k19", 1)).toBeDefined();
  });

  it("holds nothing that varies, is stale, or is too big", () => {
    const cache = new IsolateCache();
    cache.put("varies", stored(1, 60, [["Vary", "Accept-Language"]]), 0);
    cache.put("stale", stored(1, 1), 1_000);
    cache.put("huge", stored(IsolateCache.MAX_BYTES), 0);
    expect(cache.get("varies", 1)).toBeUndefined();
    expect(cache.get("stale", 1_001)).toBeUndefined();
    expect(cache.get("huge", 1)).toBeUndefined();
  });
});

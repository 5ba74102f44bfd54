import { beforeAll, describe, expect, it } from "vitest";
import { fnv1a } from "../src/regions";
import { harness, json, never, publishedKeys } from "./support";

describe("geo-routing and failover", () => {
  let auth: Record<string, string>;
  beforeAll(async () => {
    ({ auth } = await publishedKeys());
  });

  const privateAnswer = () => json({ ok: true }, { "Cache-Control": "private, max-age=0" });

  it("sends a read to the region of the caller's country, else continent, else the first", async () => {
    const h = harness(privateAnswer);
    const cases: Array<[Record<string, string> | undefined, string]> = [
      [{ country: "CA", continent: "NA" }, "us"],
      [{ country: "DE", continent: "EU" }, "eu"],
      [{ country: "US", continent: "NA" }, "us"],
      [{ country: "JP", continent: "AS" }, "eu"],
      [undefined, "eu"],
    ];
    for (const [cf, region] of cases) {
      const response = await h.send("/query/customers/c-1/orders", { headers: auth, cf });
      expect(response.headers.get("Bulwark-Region"), JSON.stringify(cf)).toBe(region);
      expect(h.calls.at(-1)!.url).toBe(`http://${region}-query.test/query/customers/c-1/orders`);
    }
  });

  it("fails a read over to the next region when the nearest times out", async () => {
    const h = harness((call) => (call.url.startsWith("http://eu-") ? never() : privateAnswer()));
    const response = await h.send("/query/customers/c-1/orders", { headers: auth, cf: { continent: "EU" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("Bulwark-Region")).toBe("us");
    expect(h.calls.map((c) => new URL(c.url).host)).toEqual(["eu-query.test", "us-query.test"]);
  });

  it("fails a read over on a 5xx, and passes a 4xx through", async () => {
    const h = harness((call) =>
      call.url.startsWith("http://eu-") ? json({ code: "store-unavailable" }, {}, 503) : json({ code: "unknown-id" }, {}, 404),
    );
    const response = await h.send("/query/inventory/items/nope", { headers: auth });
    expect(response.status).toBe(404);
    expect(response.headers.get("Bulwark-Region")).toBe("us");
    expect(h.calls).toHaveLength(2);
  });

  it("answers 504 origin-timeout with Retry-After when no region answers", async () => {
    const h = harness(() => never());
    const response = await h.send("/query/customers/c-1/orders", { headers: auth });
    expect(response.status).toBe(504);
    expect(response.headers.get("Retry-After")).toBe("1");
    expect(((await response.json()) as { code: string }).code).toBe("origin-timeout");
    expect(h.calls).toHaveLength(2);
  });

  it("passes the last region's 5xx through when every region fails", async () => {
    const h = harness((call) => json({ code: "overloaded" }, { "Retry-After": "1" }, call.url.startsWith("http://us-") ? 503 : 500));
    const response = await h.send("/query/customers/c-1/orders", { headers: auth });
    expect(response.status).toBe(503);
    expect(response.headers.get("Bulwark-Region")).toBe("us");
  });

  it("places an order in the customer's home region only, and never repeats it without an Idempotency-Key", async () => {
    const h = harness(() => never());
    const body = JSON.stringify({ customerId: "c-42", items: [] });
    const home = ["eu", "us"][fnv1a("c-42") % 2];
    const response = await h.send("/orders", { method: "POST", body, headers: { ...auth, "Content-Type": "application/json" } });
    expect(response.status).toBe(504);
    expect(h.calls.map((c) => new URL(c.url).host)).toEqual([`${home}-orders.test`]);
    expect(h.calls[0].body).toBe(body);
  });

  it("repeats an order with an Idempotency-Key once, in its home region", async () => {
    let attempts = 0;
    const h = harness(() => (++attempts === 1 ? never() : json({ orderId: "o-1" }, {}, 201)));
    const response = await h.send("/orders", {
      method: "POST",
      body: JSON.stringify({ customerId: "c-42" }),
      headers: { ...auth, "Idempotency-Key": "k-1" },
    });
    expect(response.status).toBe(201);
    const home = ["eu", "us"][fnv1a("c-42") % 2];
    expect(response.headers.get("Bulwark-Region")).toBe(home);
    expect(h.calls.map((c) => new URL(c.url).host)).toEqual([`${home}-orders.test`, `${home}-orders.test`]);
    expect(h.calls[1].headers.get("Idempotency-Key")).toBe("k-1");
  });

  it("does not repeat a 500 from a write without an Idempotency-Key", async () => {
    const h = harness(() => json({ code: "internal" }, {}, 500));
    const response = await h.send("/orders/o-1/cancel", { method: "POST", body: "", headers: auth });
    expect(response.status).toBe(500);
    expect(h.calls).toHaveLength(1);
  });

  it("routes by Bulwark-Home-Region when it names a region, and by the path's customer id", async () => {
    const h = harness(privateAnswer);
    await h.send("/orders", { method: "POST", body: JSON.stringify({ customerId: "c-42" }), headers: { ...auth, "Bulwark-Home-Region": "us" } });
    expect(new URL(h.calls[0].url).host).toBe("us-orders.test");
    await h.send("/customers/c-42", { method: "PUT", body: "{}", headers: auth });
    expect(new URL(h.calls[1].url).host).toBe(`${["eu", "us"][fnv1a("c-42") % 2]}-orders.test`);
  });

  it("says Bulwark-Cache: BYPASS and an Age on answers the cache takes no part in", async () => {
    const h = harness(() => json({ orderId: "o-1" }, {}, 201));
    const placed = await h.send("/orders", { method: "POST", body: "{}", headers: { ...auth, "Idempotency-Key": "k" } });
    expect(placed.headers.get("Bulwark-Cache")).toBe("BYPASS");
    expect(placed.headers.get("Age")).toBe("0");
    const refused = await h.send("/orders", { method: "POST", body: "{}" });
    expect(refused.headers.get("Bulwark-Cache")).toBe("BYPASS");
  });

  it("refuses a body over 64 KiB with 413 without an origin request", async () => {
    const h = harness(privateAnswer);
    const response = await h.send("/orders", { method: "POST", body: "x".repeat(64 * 1024 + 1), headers: { ...auth, "Idempotency-Key": "k" } });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { code: string }).code).toBe("payload-too-large");
    expect(h.calls).toHaveLength(0);
  });

  it("keeps the home-region hash stable (FNV-1a over UTF-8)", () => {
    expect(fnv1a("")).toBe(0x811c9dc5);
    expect(fnv1a("a")).toBe(0xe40c292c);
    expect(fnv1a("foobar")).toBe(0xbf9cf968);
  });
});

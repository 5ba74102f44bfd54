import { beforeEach, describe, expect, it } from "vitest";
import { NOW, type TestKeys, claims, harness, json, makeKeys, mint, publish } from "./support";

const SECRET = "test-edge-origin-secret-of-32-characters!";

async function hmac(text: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", new TextEncoder().encode(SECRET), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, new TextEncoder().encode(text)));
  return btoa(String.fromCharCode(...mac)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

describe("auth at the edge", () => {
  let keys: TestKeys;
  beforeEach(async () => {
    keys = await makeKeys();
    await publish(keys.jwks);
  });

  const ok = () => json({ ok: true }, { "Cache-Control": "private, max-age=0" });

  it("passes an HS256 token's identity to the origin, signed, and keeps the token itself at the edge", async () => {
    const h = harness(ok);
    const token = await mint(keys.hs, "hs-1", claims());
    const response = await h.send("/orders/o-1", {
      headers: { Authorization: `Bearer ${token}`, "Bulwark-Edge-Subject": "someone-else", "X-API-Key": "guess" },
    });
    expect(response.status).toBe(200);
    expect(h.calls).toHaveLength(1);
    const sent = h.calls[0].headers;
    expect(sent.get("Authorization")).toBeNull();
    expect(sent.get("X-API-Key")).toBeNull();
    expect(sent.get("Bulwark-Edge-Subject")).toBe("customer-7");
    expect(sent.get("Bulwark-Edge-Client")).toBe("shop");
    expect(sent.get("Bulwark-Edge-Scopes")).toBe(claims().scope);
    const t = Math.floor(NOW / 1000);
    const expected = await hmac(["bulwark-edge-v1", "GET", "/orders/o-1", "customer-7", "shop", claims().scope, String(t)].join("\n"));
    expect(sent.get("Bulwark-Edge-Signature")).toBe(`t=${t},s=${expected}`);
  });

  it("accepts an ES256 token", async () => {
    const h = harness(ok);
    const token = await mint(keys.es.privateKey, "es-1", claims({ sub: "ü/ser 1" }));
    const response = await h.send("/orders/o-1", { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    expect(h.calls[0].headers.get("Bulwark-Edge-Subject")).toBe(encodeURIComponent("ü/ser 1"));
  });

  it("answers 401 without an origin request when the token is missing", async () => {
    const h = harness(ok);
    const response = await h.send("/query/inventory/items/sku-1");
    expect(response.status).toBe(401);
    expect(response.headers.get("Content-Type")).toBe("application/problem+json");
    expect(response.headers.get("WWW-Authenticate")).toContain("Bearer");
    expect(((await response.json()) as { code: string }).code).toBe("missing-token");
    expect(h.calls).toHaveLength(0);
  });

  const refused: Array<[string, (k: TestKeys) => Promise<string>]> = [
    ["expired beyond the skew", (k) => mint(k.hs, "hs-1", claims({ exp: NOW / 1000 - 61 }))],
    ["without exp", (k) => mint(k.hs, "hs-1", claims({ exp: undefined }))],
    ["not valid yet", (k) => mint(k.hs, "hs-1", claims({ nbf: NOW / 1000 + 61 }))],
    ["for another audience", (k) => mint(k.hs, "hs-1", claims({ aud: "someone-else" }))],
    ["signed by an unknown key", (k) => mint(k.hs, "hs-9", claims())],
    ["HS256 over the EC key's kid (algorithm confusion)", (k) => mint(k.hs, "es-1", claims(), "HS256")],
    ["ES256 claimed over the HMAC key", (k) => mint(k.es.privateKey, "hs-1", claims(), "ES256")],
    ["with a changed payload", async (k) => {
      const [h, , s] = (await mint(k.hs, "hs-1", claims())).split(".");
      const p = btoa(JSON.stringify(claims({ scope: "edge:purge" }))).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
      return `${h}.${p}.${s}`;
    }],
    ["alg none", async () => `${btoa(JSON.stringify({ alg: "none", kid: "hs-1" })).replace(/=+$/, "")}.${btoa(JSON.stringify(claims())).replace(/=+$/, "")}.`],
    ["not a JWT", async () => "abc"],
    ["garbage segments", async () => "a.b!.c"],
  ];
  for (const [what, token] of refused) {
    it(`refuses a token ${what} with 401 invalid-token`, async () => {
      const h = harness(ok);
      const response = await h.send("/orders/o-1", { headers: { Authorization: `Bearer ${await token(keys)}` } });
      expect(response.status).toBe(401);
      const body = (await response.json()) as { code: string };
      expect(body.code).toBe("invalid-token");
      expect(response.headers.get("WWW-Authenticate")).toContain('error="invalid_token"');
      expect(h.calls).toHaveLength(0);
    });
  }

  it("allows a token that expired within the clock skew", async () => {
    const h = harness(ok);
    const token = await mint(keys.hs, "hs-1", claims({ exp: NOW / 1000 - 30 }));
    expect((await h.send("/orders/o-1", { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it("refuses a token it verified before once the token has expired", async () => {
    const h = harness(ok);
    const token = await mint(keys.hs, "hs-1", claims({ exp: NOW / 1000 + 10 }));
    expect((await h.send("/orders/o-1", { headers: { Authorization: `Bearer ${token}` } })).status).toBe(200);
    h.advance(71_000);
    const late = await h.send("/orders/o-1", { headers: { Authorization: `Bearer ${token}` } });
    expect(late.status).toBe(401);
    expect(((await late.json()) as { detail: string }).detail).toContain("expired");
  });

  it("answers 403 insufficient-scope when the token lacks the route's scope", async () => {
    const h = harness(ok);
    const token = await mint(keys.hs, "hs-1", claims({ scope: "query:read" }));
    const response = await h.send("/orders", { method: "POST", body: "{}", headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { code: string }).code).toBe("insufficient-scope");
    expect(response.headers.get("WWW-Authenticate")).toContain('scope="orders:write"');
    expect(h.calls).toHaveLength(0);
  });

  it("refuses order routes for a token that names no client", async () => {
    const h = harness(ok);
    const token = await mint(keys.hs, "hs-1", claims({ client_id: undefined }));
    const response = await h.send("/orders/o-1", { headers: { Authorization: `Bearer ${token}` } });
    expect(response.status).toBe(403);
    expect(((await response.json()) as { code: string }).code).toBe("no-client");
  });

  it("takes a rotated-in key by its kid and drops a rotated-out one after the key set's lifetime", async () => {
    const h = harness(ok);
    const first = await mint(keys.hs, "hs-1", claims());
    expect((await h.send("/orders/o-1", { headers: { Authorization: `Bearer ${first}` } })).status).toBe(200);

    const next = await makeKeys("hs-2", "es-2");
    await publish({ keys: [...keys.jwks.keys, ...next.jwks.keys] });
    h.advance(6_000);
    const rotated = await mint(next.es.privateKey, "es-2", claims());
    expect((await h.send("/orders/o-1", { headers: { Authorization: `Bearer ${rotated}` } })).status).toBe(200);

    await publish(next.jwks);
    expect((await h.send("/orders/o-1", { headers: { Authorization: `Bearer ${first}` } })).status).toBe(200);
    h.advance(61_000);
    const old = await mint(keys.hs, "hs-1", claims({ exp: h.now() / 1000 + 600 }));
    expect((await h.send("/orders/o-1", { headers: { Authorization: `Bearer ${old}` } })).status).toBe(401);
  });

  it("answers 404 and 405 at the edge for what it does not serve", async () => {
    const h = harness(ok);
    const token = await mint(keys.hs, "hs-1", claims());
    const missing = await h.send("/admin", { headers: { Authorization: `Bearer ${token}` } });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { code: string }).code).toBe("no-route");
    const wrong = await h.send("/orders", { method: "GET", headers: { Authorization: `Bearer ${token}` } });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get("Allow")).toBe("POST");
    expect(h.calls).toHaveLength(0);
  });
});

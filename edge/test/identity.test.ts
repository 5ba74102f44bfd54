import { describe, expect, it } from "vitest";
import { signIdentity } from "../src/identity";

describe("identity signed for the origin", () => {
  it("matches the vector the Java verifier (io.bulwark.http.EdgeSignatureTest) checks", async () => {
    const headers = new Headers();
    await signIdentity(
      headers,
      { subject: "ü/ser 1", client: "shop", scopes: ["orders:read", "query:read"] },
      "GET",
      "/query/inventory/items/sku-1?asOf=x",
      "test-edge-origin-secret-of-32-characters!",
      1_795_867_200_000,
    );
    expect(headers.get("Bulwark-Edge-Subject")).toBe("%C3%BC%2Fser%201");
    expect(headers.get("Bulwark-Edge-Client")).toBe("shop");
    expect(headers.get("Bulwark-Edge-Scopes")).toBe("orders:read query:read");
    expect(headers.get("Bulwark-Edge-Signature")).toBe("t=1795867200,s=yMvKvGnKcebSAvzPQrcUilNZRwdabQEY4WvQa4Rj1rE");
  });
});

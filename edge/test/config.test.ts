import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createWorker } from "../src/index";
import { createExecutionContext } from "cloudflare:test";

describe("settings", () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ["a short origin secret", { EDGE_ORIGIN_SECRET: "short" }, "EDGE_ORIGIN_SECRET"],
    ["a region table that is not JSON", { REGIONS: "[eu" }, "REGIONS must be a JSON array"],
    ["a region without an origin URL", { REGIONS: JSON.stringify([{ name: "eu", query: "ftp://x", orders: "http://o" }]) }, "REGIONS[0] (eu).query"],
    ["two regions of one name", { REGIONS: JSON.stringify([{ name: "a", query: "http://q", orders: "http://o" }, { name: "a", query: "http://q", orders: "http://o" }]) }, "REGIONS[1] needs a unique name"],
    ["a timeout that is not a number", { ORIGIN_TIMEOUT_MS: "soon" }, "ORIGIN_TIMEOUT_MS"],
  ];
  for (const [what, override, named] of cases) {
    it(`answers 500 edge-misconfigured naming the setting for ${what}`, async () => {
      const worker = createWorker();
      const response = await worker.fetch!(new Request("https://edge.test/query/x") as never, { ...env, ...override } as never, createExecutionContext());
      expect(response.status).toBe(500);
      const body = (await response.json()) as { code: string; detail: string };
      expect(body.code).toBe("edge-misconfigured");
      expect(body.detail).toContain(named);
    });
  }
});

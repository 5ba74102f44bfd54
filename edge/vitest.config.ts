import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// The tests run inside workerd, with the worker's wrangler.toml; the values below replace its
// deployment settings with test ones (an origin that the tests mock, a test secret).
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          EDGE_ORIGIN_SECRET: "test-edge-origin-secret-of-32-characters!",
          ORIGIN_TIMEOUT_MS: "200",
          REGIONS: JSON.stringify([
            { name: "eu", query: "http://eu-query.test", orders: "http://eu-orders.test", continents: ["EU"] },
            { name: "us", query: "http://us-query.test", orders: "http://us-orders.test", continents: ["NA"], countries: ["CA"] },
          ]),
        },
      },
    }),
  ],
});

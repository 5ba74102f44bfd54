// Runs the built worker (dist/worker.js) in workerd through Miniflare, on this machine — what the
// dev-stack starts in front of its query API and order-api. The secret shared with the origins comes
// from the environment (EDGE_ORIGIN_SECRET), never from the command line.
//
//   EDGE_ORIGIN_SECRET=... node scripts/serve.mjs --port 8787 --jwks-file jwks.json \
//       --query http://127.0.0.1:8080 --orders http://127.0.0.1:8081      (one region, "local")
//   ... --regions-file regions.json                                          (a region table)
//   ... --country DE --continent EU                                          (the request.cf every request gets)
import { Log, LogLevel, Miniflare, convertV4MiniflareOptions } from "miniflare";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values: args } = parseArgs({
  options: {
    host: { type: "string", default: "127.0.0.1" },
    port: { type: "string", default: "8787" },
    query: { type: "string" },
    orders: { type: "string" },
    "regions-file": { type: "string" },
    "jwks-file": { type: "string" },
    audience: { type: "string", default: "bulwark" },
    country: { type: "string" },
    continent: { type: "string" },
    "origin-timeout-ms": { type: "string", default: "2000" },
  },
});

function fail(message) {
  console.error(`bulwark-edge: ${message}`);
  process.exit(2);
}

const secret = process.env.EDGE_ORIGIN_SECRET;
if (!secret || secret.length < 32) {
  fail("EDGE_ORIGIN_SECRET must hold the secret shared with the origins (at least 32 characters)");
}
if (!args["jwks-file"]) {
  fail("--jwks-file must name the JSON Web Key Set file");
}
let regions;
if (args["regions-file"]) {
  regions = readFileSync(args["regions-file"], "utf8");
} else if (args.query && args.orders) {
  regions = JSON.stringify([{ name: "local", query: args.query, orders: args.orders }]);
} else {
  fail("give --query and --orders (one region), or --regions-file");
}

const mf = new Miniflare(
  convertV4MiniflareOptions({
    host: args.host,
    port: Number(args.port),
    // No network to fetch Cloudflare's request.cf: a fixed one, from the flags.
    cf: { country: args.country ?? "XX", continent: args.continent ?? "XX", colo: "LOCAL" },
    log: new Log(LogLevel.WARN),
    name: "bulwark-edge",
    modules: true,
    scriptPath: new URL("../dist/worker.js", import.meta.url).pathname,
    compatibilityDate: "2026-11-01",
    kvNamespaces: ["JWKS"],
    bindings: {
      REGIONS: regions,
      JWT_AUDIENCE: args.audience,
      ORIGIN_TIMEOUT_MS: args["origin-timeout-ms"],
      EDGE_ORIGIN_SECRET: secret,
    },
  }),
);

const url = await mf.ready;
const kv = await mf.getKVNamespace("JWKS");
await kv.put("jwks", readFileSync(args["jwks-file"], "utf8"));
console.log(`Bulwark edge listening on ${url.origin}`);

let stopping = false;
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, async () => {
    if (stopping) {
      return;
    }
    stopping = true;
    await mf.dispose();
    process.exit(0);
  });
}

// Bundles the worker (dist/worker.js) and checks the isolate's limits at build time:
// - no Node built-in may be imported (the worker runs on Web APIs only, without nodejs_compat);
// - nothing may stay external (the bundle is the whole worker);
// - the minified bundle stays within its byte budget (package.json "edge.bundleBudgetBytes").
import { build } from "esbuild";
import { builtinModules } from "node:module";
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const budget = pkg.edge.bundleBudgetBytes;
const nodeBuiltins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

const result = await build({
  entryPoints: ["src/index.ts"],
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  conditions: ["workerd", "worker", "browser"],
  minify: true,
  metafile: true,
  outfile: "dist/worker.js",
  logLevel: "warning",
  plugins: [
    {
      name: "refuse-node-builtins",
      setup(b) {
        b.onResolve({ filter: /.*/ }, (args) =>
          nodeBuiltins.has(args.path) || args.path.startsWith("node:")
            ? { errors: [{ text: `${args.importer} imports the Node built-in '${args.path}': the edge worker may use Web APIs only` }] }
            : undefined,
        );
      },
    },
  ],
});

const [output] = Object.values(result.metafile.outputs);
if (output.imports.some((i) => i.external)) {
  console.error(`The bundle leaves imports external: ${output.imports.filter((i) => i.external).map((i) => i.path).join(", ")}`);
  process.exit(1);
}
const bytes = readFileSync("dist/worker.js");
const gzipped = gzipSync(bytes).length;
writeFileSync("dist/size.json", JSON.stringify({ bytes: bytes.length, gzipBytes: gzipped, budgetBytes: budget }, null, 2) + "\n");
if (bytes.length > budget) {
  console.error(`dist/worker.js is ${bytes.length} bytes, over its budget of ${budget} (package.json edge.bundleBudgetBytes)`);
  process.exit(1);
}
console.log(`dist/worker.js: ${bytes.length} bytes (${gzipped} gzipped), budget ${budget}`);

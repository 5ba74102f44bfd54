import type { Env as BulwarkEnv } from "../src/config";

// The bindings `cloudflare:test`'s `env` holds: the worker's own (wrangler.toml + vitest.config.ts).
declare global {
  namespace Cloudflare {
    interface Env extends BulwarkEnv {}
  }
}

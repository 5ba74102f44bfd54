/**
 * The routes the edge serves, which origin each goes to and the scope a token needs for it.
 * Everything else is 404 at the edge, without an origin request.
 */

export type Service = "query" | "orders" | "edge";

export interface Route {
  name: string;
  service: Service;
  scope: string;
  /** A read answered from the edge cache. */
  cacheable: boolean;
  /** Goes to the caller's home region only (the region that holds the customer's orders). */
  homeRegion: boolean;
  /** The customer id in the path, when the path names one. */
  customerId?: string;
}

const ID = "([A-Za-z0-9._:-]{1,128})";
const TABLE: Array<{ method: string[]; path: RegExp; route: Omit<Route, "customerId">; customerInPath?: boolean }> = [
  {
    method: ["GET", "HEAD"],
    path: /^\/query\/.+/,
    route: { name: "query", service: "query", scope: "query:read", cacheable: true, homeRegion: false },
  },
  {
    method: ["POST"],
    path: /^\/orders$/,
    route: { name: "place-order", service: "orders", scope: "orders:write", cacheable: false, homeRegion: true },
  },
  {
    method: ["POST"],
    path: new RegExp(`^/orders/${ID}/cancel$`),
    route: { name: "cancel-order", service: "orders", scope: "orders:write", cacheable: false, homeRegion: true },
  },
  {
    method: ["GET", "HEAD"],
    path: new RegExp(`^/orders/${ID}$`),
    route: { name: "get-order", service: "orders", scope: "orders:read", cacheable: false, homeRegion: true },
  },
  {
    method: ["PUT"],
    path: new RegExp(`^/customers/${ID}$`),
    route: { name: "provision-customer", service: "orders", scope: "customers:write", cacheable: false, homeRegion: true },
    customerInPath: true,
  },
  {
    method: ["GET", "HEAD"],
    path: new RegExp(`^/customers/${ID}$`),
    route: { name: "get-customer", service: "orders", scope: "customers:read", cacheable: false, homeRegion: true },
    customerInPath: true,
  },
  {
    method: ["POST"],
    path: /^\/_edge\/purge$/,
    route: { name: "purge", service: "edge", scope: "edge:purge", cacheable: false, homeRegion: false },
  },
];

export type Match = { route: Route } | { allow: string[] } | undefined;

/** The route of `method path`; `{allow}` when the path exists for other methods; undefined when it does not. */
export function match(method: string, path: string): Match {
  const allow: string[] = [];
  for (const entry of TABLE) {
    const m = entry.path.exec(path);
    if (!m) {
      continue;
    }
    if (entry.method.includes(method)) {
      return { route: { ...entry.route, customerId: entry.customerInPath ? m[1] : undefined } };
    }
    allow.push(...entry.method);
  }
  return allow.length ? { allow } : undefined;
}

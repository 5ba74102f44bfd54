/** RFC 9457 problem+json answers, in the same shape and type base as the Java services. */

export const PROBLEM_TYPE_BASE = "https://bulwark.io/problems/";

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  413: "Content Too Large",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** A problem answer with a stable `code` (the type URI ends with it); never cached. */
export function problem(
  status: number,
  code: string,
  detail: string,
  instance: string,
  headers: Record<string, string> = {},
): Response {
  const body = {
    type: PROBLEM_TYPE_BASE + code,
    title: TITLES[status] ?? "Error",
    status,
    detail,
    instance,
    code,
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: {
      "Content-Type": "application/problem+json",
      "Cache-Control": "no-store",
      ...headers,
    },
  });
}

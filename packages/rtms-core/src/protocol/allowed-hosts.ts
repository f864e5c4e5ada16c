// Where a client may connect. Zoom's RTMS signaling and media URLs (and its event WebSocket and REST
// bases) are hosts under zoom.us, or zoomgov.com for Zoom for Government, over TLS; a URL that a message
// or a webhook names is only dialled when it passes this rule (PROTOCOL.md section 11). Pure: the session,
// the event WebSocket, the worker and the portal all apply the same function.

/** Zoom's RTMS domains: what every client accepts unless told otherwise. */
export const DEFAULT_ALLOWED_HOSTS: readonly string[] = Object.freeze(["*.zoom.us", "*.zoomgov.com"]);

/** The TLS floor Zoom requires on RTMS connections since 2026-11-15 (PROTOCOL.md section 11). */
export const MIN_TLS_VERSION = "TLSv1.2" as const;

export type UrlRefusal =
  /** Not a URL at all. */
  | "invalid_url"
  /** Not wss/https, or ws/http to a host that is not an explicitly listed loopback address. */
  | "insecure_scheme"
  /** The host matches no pattern. */
  | "host_not_allowed"
  /** user:password@ in the URL: never ours to send. */
  | "credentials_in_url";

export type UrlCheck = { ok: true; url: URL } | { ok: false; refusal: UrlRefusal; message: string };

const SECURE = new Set(["wss:", "https:"]);
const PLAIN = new Set(["ws:", "http:"]);
const LABEL = "[a-z0-9](?:[a-z0-9-]*[a-z0-9])?";
const HOST_PATTERN = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*$`);
const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/;

/** 127.0.0.0/8, ::1 and localhost: the only hosts a plain ws:// or http:// URL may name. */
export function isLoopbackHost(hostname: string): boolean {
  const h = normaliseHost(hostname);
  return h === "localhost" || h === "[::1]" || (IPV4.test(h) && h.startsWith("127."));
}

function normaliseHost(host: string): string {
  const h = host.trim().toLowerCase().replace(/\.$/, "");
  return h === "::1" ? "[::1]" : h;
}

/** A pattern is a host name, `*.` and a domain (the domain and every name under it), an IPv4 or ::1. */
export function isValidHostPattern(pattern: string): boolean {
  const p = normaliseHost(pattern);
  return p === "[::1]" || HOST_PATTERN.test(p);
}

/**
 * Read an allow-list written as text (an env variable): patterns separated by commas or white space.
 * `invalid` lists what is not a pattern, for the caller to refuse at start-up.
 */
export function parseAllowedHosts(text: string): { patterns: string[]; invalid: string[] } {
  const items = text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  return {
    patterns: items.filter(isValidHostPattern).map(normaliseHost),
    invalid: items.filter((s) => !isValidHostPattern(s)),
  };
}

function matches(host: string, pattern: string): boolean {
  const p = normaliseHost(pattern);
  if (p.startsWith("*.")) {
    const domain = p.slice(2);
    return host === domain || host.endsWith(`.${domain}`);
  }
  return host === p;
}

/**
 * Check `url` against host `patterns`: wss:// and https:// to a matching host; ws:// and http:// only to a
 * loopback host listed exactly (a wildcard never admits a plain-text URL). Ports and paths are free.
 */
export function checkAllowedUrl(url: string, patterns: readonly string[] = DEFAULT_ALLOWED_HOSTS): UrlCheck {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, refusal: "invalid_url", message: "not a URL" };
  }
  if (parsed.username !== "" || parsed.password !== "") {
    return { ok: false, refusal: "credentials_in_url", message: "the URL carries credentials" };
  }
  const host = normaliseHost(parsed.hostname);
  const secure = SECURE.has(parsed.protocol);
  if (!secure && !PLAIN.has(parsed.protocol)) {
    return { ok: false, refusal: "insecure_scheme", message: `scheme ${parsed.protocol} is not allowed` };
  }
  if (!secure) {
    const listed = isLoopbackHost(host) && patterns.some((p) => !p.startsWith("*.") && matches(host, p));
    if (!listed) {
      return {
        ok: false,
        refusal: "insecure_scheme",
        message: `${parsed.protocol}// is only allowed to a listed loopback host, not ${host}`,
      };
    }
    return { ok: true, url: parsed };
  }
  if (!patterns.some((p) => matches(host, p))) {
    return { ok: false, refusal: "host_not_allowed", message: `host ${host} is not on the allow-list` };
  }
  return { ok: true, url: parsed };
}

/** True when `url` may be dialled under `patterns` (see checkAllowedUrl). */
export function isAllowedUrl(url: string, patterns: readonly string[] = DEFAULT_ALLOWED_HOSTS): boolean {
  return checkAllowedUrl(url, patterns).ok;
}

/** The URL without query and credentials, for logs and error messages (a token may ride in the query). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return "(not a URL)";
  }
}

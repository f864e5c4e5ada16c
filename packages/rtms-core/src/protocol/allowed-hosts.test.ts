import { describe, expect, it } from "vitest";
import {
  checkAllowedUrl,
  DEFAULT_ALLOWED_HOSTS,
  isAllowedUrl,
  isLoopbackHost,
  parseAllowedHosts,
  redactUrl,
} from "./allowed-hosts.ts";

describe("isAllowedUrl", () => {
  it("admits Zoom's RTMS hosts over TLS by default, at any port and path", () => {
    expect(DEFAULT_ALLOWED_HOSTS).toEqual(["*.zoom.us", "*.zoomgov.com"]);
    for (const url of [
      "wss://zoomsjc144-195-19-86zssgw.sjc.zoom.us:443",
      "wss://rtms.zoom.us/signaling?x=1",
      "wss://a.b.zoomgov.com:8443/media/all",
      "wss://ZOOM.US./ws",
      "https://api.zoom.us/v2",
      "https://zoom.us/oauth/token",
    ]) {
      expect(isAllowedUrl(url), url).toBe(true);
    }
  });

  it("refuses other hosts, look-alikes and plain-text schemes", () => {
    const refused: [string, string][] = [
      ["wss://evil.example.com", "host_not_allowed"],
      ["wss://zoom.us.evil.example", "host_not_allowed"],
      ["wss://evilzoom.us", "host_not_allowed"],
      ["wss://127.0.0.1:9092", "host_not_allowed"],
      ["ws://rtms.zoom.us", "insecure_scheme"],
      ["http://api.zoom.us", "insecure_scheme"],
      ["ftp://rtms.zoom.us", "insecure_scheme"],
      ["wss://user:pw@rtms.zoom.us", "credentials_in_url"],
      ["not a url", "invalid_url"],
      ["", "invalid_url"],
    ];
    for (const [url, refusal] of refused) {
      const r = checkAllowedUrl(url);
      expect(r.ok, url).toBe(false);
      if (!r.ok) expect(r.refusal, url).toBe(refusal);
    }
  });

  it("lets ws:// reach a loopback host only when that host is listed exactly", () => {
    expect(isAllowedUrl("ws://127.0.0.1:8080/signaling", ["127.0.0.1"])).toBe(true);
    expect(isAllowedUrl("ws://[::1]:8080", ["::1"])).toBe(true);
    expect(isAllowedUrl("ws://localhost:1", ["localhost"])).toBe(true);
    expect(isAllowedUrl("wss://127.0.0.1:8443", ["127.0.0.1"])).toBe(true);
    // Not listed, listed through a wildcard only, or not loopback at all.
    expect(isAllowedUrl("ws://127.0.0.2:8080", ["127.0.0.1"])).toBe(false);
    expect(isAllowedUrl("ws://localhost:1", ["*.localhost"])).toBe(false);
    expect(isAllowedUrl("ws://10.0.0.5:80", ["10.0.0.5"])).toBe(false);
    expect(isAllowedUrl("wss://10.0.0.5:80", ["10.0.0.5"])).toBe(true);
  });

  it("reads an allow-list from text and names what is not a pattern", () => {
    expect(parseAllowedHosts("*.zoom.us, *.zoomgov.com 127.0.0.1\n::1")).toEqual({
      patterns: ["*.zoom.us", "*.zoomgov.com", "127.0.0.1", "[::1]"],
      invalid: [],
    });
    expect(parseAllowedHosts("*.zoom.us,*,wss://x.zoom.us,a..b").invalid).toEqual([
      "*",
      "wss://x.zoom.us",
      "a..b",
    ]);
  });

  it("knows loopback hosts and redacts URLs for logs", () => {
    expect(["127.0.0.1", "127.9.9.9", "localhost", "::1", "[::1]"].every(isLoopbackHost)).toBe(true);
    expect(["128.0.0.1", "10.0.0.1", "localhost.example"].some(isLoopbackHost)).toBe(false);
    expect(redactUrl("wss://u:p@ws.zoom.us/ws?access_token=secret")).toBe("wss://ws.zoom.us/ws");
  });
});

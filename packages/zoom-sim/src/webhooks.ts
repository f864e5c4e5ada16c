// Zoom's webhook delivery: signed POSTs (x-zm-request-timestamp, x-zm-signature) to every validated target,
// the endpoint.url_validation handshake before a target receives events, redelivery on failure (Zoom's
// 5/20/60 min schedule, configurable) and, on demand, a duplicate of something already delivered.
import { randomBytes } from "node:crypto";
import type { Logger } from "@capture/rtms-core/logger";
import { signWebhook, urlValidationResponse } from "@capture/rtms-core/webhook";
import { ZoomSimError } from "./errors.ts";
import type { ZoomEvent } from "./http/event-ws.ts";

export type TargetState = "pending" | "ready" | "failed";

export interface WebhookTarget {
  url: string;
  state: TargetState;
  lastError?: string;
}

export interface DeliveryRecord {
  url: string;
  event: string;
  /** HTTP status, or 0 when the request failed or timed out. */
  status: number;
  ok: boolean;
  attempt: number;
  at: number;
  error?: string;
}

export interface WebhookSenderOptions {
  secretToken: string;
  timeoutMs: number;
  retryDelaysMs: number[];
  log: Logger;
  onDelivered: (record: DeliveryRecord) => void;
  onTargetReady: (target: WebhookTarget) => void;
}

const MAX_RECORDS = 500;

export class WebhookSender {
  readonly #targets = new Map<string, WebhookTarget>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #sent: { event: ZoomEvent; url: string }[] = [];
  readonly deliveries: DeliveryRecord[] = [];
  #closed = false;

  constructor(private readonly opts: WebhookSenderOptions) {}

  get targets(): WebhookTarget[] {
    return [...this.#targets.values()].map((t) => ({ ...t }));
  }

  get readyCount(): number {
    return [...this.#targets.values()].filter((t) => t.state === "ready").length;
  }

  /**
   * Register a target. Like Zoom, it must pass URL validation before it gets events: with `validate` (the
   * default) the handshake runs now and a failure throws WEBHOOK_VALIDATION_FAILED.
   */
  async addTarget(url: string, opts: { validate?: boolean } = {}): Promise<WebhookTarget> {
    const target: WebhookTarget = { url: new URL(url).toString(), state: "pending" };
    this.#targets.set(target.url, target);
    if (opts.validate === false) {
      this.#markReady(target);
      return { ...target };
    }
    const result = await this.validate(target.url);
    if (!result.ok) {
      target.state = "failed";
      target.lastError = result.error;
      throw new ZoomSimError(
        "WEBHOOK_VALIDATION_FAILED",
        `webhook URL validation failed for ${url}: ${result.error}`,
      );
    }
    this.#markReady(target);
    return { ...target };
  }

  /** For a target that may not be up yet (the CLI): validate every `intervalMs` until it passes. */
  addTargetWhenValid(url: string, intervalMs = 2000): void {
    const attempt = () => {
      if (this.#closed) return;
      this.addTarget(url).catch((err: unknown) => {
        this.opts.log.info({ url, err: (err as Error).message }, "webhook target not valid yet: will retry");
        this.#later(intervalMs, attempt);
      });
    };
    attempt();
  }

  removeTarget(url: string): boolean {
    return this.#targets.delete(new URL(url).toString());
  }

  #markReady(target: WebhookTarget): void {
    target.state = "ready";
    target.lastError = undefined;
    this.opts.log.info({ url: target.url }, "webhook target ready");
    this.opts.onTargetReady({ ...target });
  }

  /** endpoint.url_validation: the target must answer 200 with the right encryptedToken. */
  async validate(url: string): Promise<{ ok: true } | { ok: false; error: string }> {
    const plainToken = randomBytes(16).toString("base64url");
    const event: ZoomEvent = {
      event: "endpoint.url_validation",
      event_ts: Date.now(),
      payload: { plainToken },
    };
    let res: Response;
    try {
      res = await this.#post(url, event);
    } catch (err) {
      return { ok: false, error: (err as Error).message };
    }
    if (res.status !== 200) return { ok: false, error: `answered HTTP ${res.status}` };
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      return { ok: false, error: "answer is not JSON" };
    }
    const expected = urlValidationResponse(this.opts.secretToken, plainToken);
    const got = body as { plainToken?: unknown; encryptedToken?: unknown };
    if (got?.plainToken !== expected.plainToken || got?.encryptedToken !== expected.encryptedToken) {
      return { ok: false, error: "wrong plainToken/encryptedToken" };
    }
    return { ok: true };
  }

  /** Deliver to every ready target (fire and forget; failures are redelivered on Zoom's schedule). */
  deliver(event: ZoomEvent): number {
    let n = 0;
    for (const target of this.#targets.values()) {
      if (target.state !== "ready") continue;
      n++;
      void this.#attempt(target.url, event, 1);
    }
    return n;
  }

  /** Send again what was delivered last (optionally the last event of one name): a duplicate delivery. */
  redeliver(eventName?: string): number {
    for (let i = this.#sent.length - 1; i >= 0; i--) {
      const sent = this.#sent[i]!;
      if (eventName && sent.event.event !== eventName) continue;
      const same = this.#sent.filter((s) => s.event === sent.event);
      for (const s of same) void this.#attempt(s.url, s.event, 1);
      return same.length;
    }
    return 0;
  }

  async #attempt(url: string, event: ZoomEvent, attempt: number): Promise<DeliveryRecord> {
    let record: DeliveryRecord;
    try {
      const res = await this.#post(url, event);
      await res.arrayBuffer().catch(() => undefined);
      const ok = res.status >= 200 && res.status < 300;
      record = { url, event: event.event, status: res.status, ok, attempt, at: Date.now() };
    } catch (err) {
      record = {
        url,
        event: event.event,
        status: 0,
        ok: false,
        attempt,
        at: Date.now(),
        error: (err as Error).message,
      };
    }
    if (attempt === 1) {
      this.#sent.push({ event, url });
      if (this.#sent.length > MAX_RECORDS) this.#sent.shift();
    }
    this.deliveries.push(record);
    if (this.deliveries.length > MAX_RECORDS) this.deliveries.shift();
    this.opts.onDelivered(record);
    const delay = this.opts.retryDelaysMs[attempt - 1];
    // A target removed meanwhile gets no more redeliveries.
    if (!record.ok && delay !== undefined && this.#targets.has(url)) {
      this.opts.log.warn(
        { url, event: event.event, status: record.status, attempt },
        "webhook failed: will redeliver",
      );
      this.#later(delay, () => void this.#attempt(url, event, attempt + 1));
    }
    return record;
  }

  #post(url: string, event: ZoomEvent): Promise<Response> {
    const body = JSON.stringify(event);
    const timestamp = Math.floor(Date.now() / 1000);
    return fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/json; charset=utf-8",
        "user-agent": "Zoom Marketplace/1.0a",
        "x-zm-request-timestamp": String(timestamp),
        "x-zm-signature": signWebhook(this.opts.secretToken, timestamp, body),
        "x-zm-trackingid": `sim_${randomBytes(8).toString("hex")}`,
      },
      body,
      signal: AbortSignal.timeout(this.opts.timeoutMs),
    });
  }

  #later(ms: number, fn: () => void): void {
    if (this.#closed) return;
    const t = setTimeout(() => {
      this.#timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.#timers.add(t);
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }
}

import type { RtmsMessage } from "../protocol/messages.ts";
import type { Clock } from "./clock.ts";
import type { SocketConnection } from "./connection.ts";
import { RtmsSessionError } from "./errors.ts";

/**
 * Resolve with the first message on `conn` that `match` accepts. Rejects with "request_timeout" (or
 * `timeoutCode`) after `timeoutMs`, and with "connect_failed" when the socket closes first.
 */
export function waitForMessage<T extends RtmsMessage>(
  conn: SocketConnection,
  match: (msg: RtmsMessage) => msg is T,
  timeoutMs: number,
  clock: Clock,
  what: string,
  timeoutCode: "request_timeout" | "handshake_timeout" = "request_timeout",
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cleanup = () => {
      clock.clearTimeout(timer);
      conn.off("message", onMessage);
      conn.off("close", onClose);
    };
    const onMessage = (msg: RtmsMessage) => {
      if (!match(msg)) return;
      cleanup();
      resolve(msg);
    };
    const onClose = () => {
      cleanup();
      reject(new RtmsSessionError("connect_failed", `socket closed while waiting for ${what}`));
    };
    const timer = clock.setTimeout(() => {
      cleanup();
      reject(new RtmsSessionError(timeoutCode, `no ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    conn.on("message", onMessage);
    conn.on("close", onClose);
  });
}

export function isMsg<N extends RtmsMessage["msg_type"]>(n: N) {
  return (msg: RtmsMessage): msg is Extract<RtmsMessage, { msg_type: N }> => msg.msg_type === n;
}

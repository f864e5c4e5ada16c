import type { RtmsMessage } from "../protocol/messages.ts";
import type { Clock } from "./clock.ts";
import type { SocketConnection } from "./connection.ts";
import { RtmsSessionError } from "./errors.ts";

/**
 * Resolve with the first message on `conn` that `match` accepts. Rejects with "REQUEST_TIMEOUT" (or
 * `timeoutCode`) after `timeoutMs`, and with "CONNECT_FAILED" when the socket closes first.
 */
export function waitForMessage<T extends RtmsMessage>(
  conn: SocketConnection,
  match: (msg: RtmsMessage) => msg is T,
  timeoutMs: number,
  clock: Clock,
  what: string,
  timeoutCode: "REQUEST_TIMEOUT" | "HANDSHAKE_TIMEOUT" = "REQUEST_TIMEOUT",
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
      reject(new RtmsSessionError("CONNECT_FAILED", `socket closed while waiting for ${what}`));
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

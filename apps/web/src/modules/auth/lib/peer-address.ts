// Next's route handlers never see the socket, and Next only fills X-Forwarded-For when the client did not
// send one (so a client's own header reaches the app unchanged). To know the real peer, every HTTP server
// in the process stamps it on the request's headers before any listener (Next's) runs, overwriting
// whatever a client put under that name. Installed once, from instrumentation.ts.
import { Server } from "node:http";
import { PEER_ADDRESS_HEADER } from "./client-address.ts";

const INSTALLED = Symbol.for("capture.peerAddressHeader");

export function installPeerAddressHeader(): void {
  const proto = Server.prototype as Server & { [INSTALLED]?: true };
  if (proto[INSTALLED]) return;
  const emit = proto.emit;
  proto.emit = function (this: Server, event: string | symbol, ...args: unknown[]) {
    if (event === "request") {
      const req = args[0] as { headers?: Record<string, unknown>; socket?: { remoteAddress?: string } };
      if (req?.headers) req.headers[PEER_ADDRESS_HEADER] = req.socket?.remoteAddress ?? "";
    }
    return (emit as (...a: unknown[]) => boolean).apply(this, [event, ...args]);
  } as typeof proto.emit;
  proto[INSTALLED] = true;
}

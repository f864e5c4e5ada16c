// Next's route handlers never see the socket, and Next only fills X-Forwarded-For when the client did not
// send one (so a client's own header reaches the app unchanged). To know the real peer, every HTTP(S)
// server in the process stamps it on the request's headers before any listener (Next's) runs, overwriting
// whatever a client put under that name. Installed once, from instrumentation.ts.
import { Server as HttpServer } from "node:http";
import { Server as HttpsServer } from "node:https";
import { PEER_ADDRESS_HEADER } from "./client-address.ts";

const INSTALLED = Symbol.for("capture.peerAddressHeader");

type Emit = (this: unknown, event: string | symbol, ...args: unknown[]) => boolean;

export function installPeerAddressHeader(): void {
  // https.Server does not inherit from http.Server: both prototypes are patched.
  for (const proto of [HttpServer.prototype, HttpsServer.prototype] as unknown as Array<
    { emit: Emit } & { [INSTALLED]?: true }
  >) {
    if (Object.hasOwn(proto, INSTALLED)) continue;
    const emit = proto.emit;
    proto.emit = function (this: unknown, event: string | symbol, ...args: unknown[]) {
      if (event === "request") {
        const req = args[0] as { headers?: Record<string, unknown>; socket?: { remoteAddress?: string } };
        if (req?.headers) req.headers[PEER_ADDRESS_HEADER] = req.socket?.remoteAddress ?? "";
      }
      return emit.apply(this, [event, ...args]);
    };
    proto[INSTALLED] = true;
  }
}

// Runs once when the Next server starts (Next's instrumentation hook).
export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    // The real socket address on every request (see peer-address.ts): what per-address sign-in limits use.
    const { installPeerAddressHeader } = await import("~/modules/auth/lib/peer-address.ts");
    installPeerAddressHeader();
  }
}

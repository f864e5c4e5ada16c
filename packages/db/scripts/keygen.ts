// Prints a fresh CAPTURE_ENCRYPTION_KEYS value (32 random bytes under a key id).
import { generateKeySpec } from "../src/crypto.ts";

console.log(generateKeySpec(process.argv[2] ?? `k${Date.now().toString(36)}`));

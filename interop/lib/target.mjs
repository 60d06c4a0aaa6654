// Picks the server under test: SIOGEN_TARGET=go (default, our Go conformance server) or node (the reference).
import { startGoServer } from "./goserver.mjs";
import { startNodeServer } from "./nodeserver.mjs";

export const TARGET = (process.env.SIOGEN_TARGET || "go").toLowerCase();

/** @returns {Promise<{name: string, url: string, stop: () => Promise<void>}>} */
export function startTarget() {
  switch (TARGET) {
    case "go":
      return startGoServer();
    case "node":
      return startNodeServer();
    default:
      throw new Error(`SIOGEN_TARGET must be "go" or "node", not ${JSON.stringify(TARGET)}`);
  }
}

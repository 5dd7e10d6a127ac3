import { isIP } from "node:net";
import { lookUpAddress } from "./facts";
import { nothing, type Searcher } from "./types";

/** net.ip: the address's scan facts; an owned address without a recent scan is scanned first. */
export const netIp: Searcher = {
  type: "net.ip",
  accepts: (value) => isIP(value) !== 0,
  async search(value, ctx) {
    return isIP(value) === 0 ? nothing : lookUpAddress(value, ctx);
  },
};

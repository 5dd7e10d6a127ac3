// The parse of one raw object lives in ./parse (the platform's parse handler and nmap's hook).
export { processRawResult } from "./parse";

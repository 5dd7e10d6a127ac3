export * from "./aws";
export * from "./params";
export * from "./publisher";
export * from "./results-context";
export * from "./parse-tools";
export * from "./raw-store";
export * from "./batch";
export * from "./launcher";

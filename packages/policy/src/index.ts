export * from "./policies";
export * from "./harness";

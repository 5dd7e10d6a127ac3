export * from "./scanner";

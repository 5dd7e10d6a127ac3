// Each area has its own barrel, so areas can grow independently.
export * from "./core";
export * from "./task";
export * from "./analytics";
export * from "./scanner";

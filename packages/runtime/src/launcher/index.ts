export * from "./config";
export * from "./launch";
export * from "./handler";

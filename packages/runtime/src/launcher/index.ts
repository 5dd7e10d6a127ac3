export * from "./config";
export * from "./launch";
export * from "./handler";
export * from "./task-requests";

export * from "./projects";
export * from "./canonical";
export * from "./validation";
export * from "./ssm";
export * from "./names";
export * from "./messages";
export * from "./task";

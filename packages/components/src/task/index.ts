export * from "./bucket";
export * from "./names";
export * from "./statements";
export * from "./core";
export * from "./task";
export * from "./fargate";
export * from "./ecsTask";
export * from "./stops";

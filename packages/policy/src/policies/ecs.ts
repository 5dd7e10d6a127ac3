import { asArray, resourceRule, type Loose } from "./util";

function containers(defs: unknown): Loose[] {
  if (typeof defs === "string") {
    try {
      return asArray(JSON.parse(defs));
    } catch {
      return [];
    }
  }
  return asArray(defs as Loose[]);
}

export const ecsTaskDefinitionHardened = resourceRule(
  "ecs-task-definition-hardened",
  "ECS containers are non-privileged with a read-only root filesystem and logging; the execution role differs from the task role.",
  ["aws:ecs/taskDefinition:TaskDefinition"],
  (p, report) => {
    if (p.executionRoleArn && p.taskRoleArn && p.executionRoleArn === p.taskRoleArn) {
      report(
        "executionRoleArn must differ from taskRoleArn (the task must not hold image-pull/secret-read rights)",
      );
    }
    const list = containers(p.containerDefinitions);
    if (list.length === 0 && p.containerDefinitions !== undefined)
      report("containerDefinitions could not be read");
    for (const c of list) {
      const n = c?.name ?? "(unnamed)";
      if (c?.privileged === true) report(`container ${n} is privileged`);
      if (c?.readonlyRootFilesystem !== true) report(`container ${n} must set readonlyRootFilesystem: true`);
      if (!c?.logConfiguration?.logDriver) report(`container ${n} has no logConfiguration`);
    }
  },
);

export const ecsClusterContainerInsights = resourceRule(
  "ecs-cluster-container-insights",
  "ECS clusters have Container Insights enabled.",
  ["aws:ecs/cluster:Cluster"],
  (p, report) => {
    const s = asArray(p.settings).find((x: Loose) => x?.name === "containerInsights");
    if (!s || !["enabled", "enhanced"].includes(s.value))
      report('set settings: [{ name: "containerInsights", value: "enabled" }]');
  },
  "medium",
);

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export interface ScanClusterArgs {
  readonly clusterName: string;
  readonly tags?: Record<string, string>;
}

/** The ECS cluster scanners run their Fargate tasks in (Fargate and Fargate Spot; Container Insights on). */
export class ScanCluster extends pulumi.ComponentResource {
  public readonly cluster: aws.ecs.Cluster;
  public readonly capacityProviders: aws.ecs.ClusterCapacityProviders;
  public readonly arn: pulumi.Output<string>;

  constructor(name: string, args: ScanClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sec-an:task-execution:ScanCluster", name, {}, opts);
    this.cluster = new aws.ecs.Cluster(
      name,
      {
        name: args.clusterName,
        settings: [{ name: "containerInsights", value: "enabled" }],
        tags: args.tags,
      },
      { parent: this },
    );
    this.capacityProviders = new aws.ecs.ClusterCapacityProviders(
      `${name}-capacity`,
      {
        clusterName: this.cluster.name,
        capacityProviders: ["FARGATE", "FARGATE_SPOT"],
        // On-demand by default; a task definition may opt into Spot.
        defaultCapacityProviderStrategies: [{ capacityProvider: "FARGATE", weight: 1, base: 0 }],
      },
      { parent: this },
    );
    this.arn = this.cluster.arn;
    this.registerOutputs({ arn: this.arn });
  }
}

import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { resourceNamed, settle, unwrap, type ResourceRecord } from "@sec-an/testing";

export const FIXTURE = path.join(__dirname, "fixtures", "handler.ts");
export const deployment = { app: "sec-an", stage: "test" };
export const ACCOUNT = "123456789012";

/** The single record of `type` named `name`, after every registration settled. */
export async function record(type: string, name: string): Promise<ResourceRecord> {
  await settle();
  return resourceNamed(type, name);
}

export const json = (s: string) => JSON.parse(s) as unknown;

export const urnOf = (r: pulumi.Resource) => unwrap(r.urn);

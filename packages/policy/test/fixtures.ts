import { checkResources, type RecordedResource, type Violation } from "../src";

export const ACCT = "123456789012";
export const qArn = (n: string) => `arn:aws:sqs:us-east-1:${ACCT}:${n}`;

export const r = (type: string, name: string, props: Record<string, unknown>): RecordedResource => ({
  type,
  name,
  inputs: props,
});

/** Violations of one policy, as "name: message" lines, for readable assertions. */
export async function violationsOf(policy: string, records: RecordedResource[]): Promise<string[]> {
  const all: Violation[] = await checkResources(records);
  return all.filter((v) => v.policy === policy).map((v) => `${v.name}: ${v.message}`);
}

import { resourcesOfType, settle, setupPulumiMocks, unwrap } from "@sec-an/testing";

/** Loads the real entry point (index.ts) afresh, as `pulumi up` would, under the mocks. */
function loadEntry(): Record<string, unknown> {
  let mod: Record<string, unknown> = {};
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require("../index");
  });
  return mod;
}

describe("shared-infra entry point", () => {
  test("reads the stack config and exports the SSM values as stack outputs", async () => {
    setupPulumiMocks({
      project: "sec-an-shared-infra",
      stack: "staging",
      config: { azCount: "3", vpcCidr: "10.20.0.0/16" },
    });
    const out = loadEntry();
    expect(await unwrap(out.vpcNumAzs as string)).toBe("3");
    expect(await unwrap(out.vpcCidrBlock as string)).toBe("10.20.0.0/16");
    await settle();
    expect(resourcesOfType("aws:ssm/parameter:Parameter").map((p) => p.inputs.name)).toContain(
      "/sec-an/staging/vpc/cidr_block",
    );
  }, 180_000);

  test("fails fast on bad config, naming the key, before registering anything", () => {
    setupPulumiMocks({ project: "sec-an-shared-infra", stack: "dev", config: { natStrategy: "Double" } });
    expect(loadEntry).toThrow(
      "config sec-an-shared-infra:natStrategy: must be one of None, Single, OnePerAz",
    );
    expect(resourcesOfType("aws:s3/bucket:Bucket")).toEqual([]);
  }, 180_000);
});

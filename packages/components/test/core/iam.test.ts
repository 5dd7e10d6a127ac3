import { settle, setupPulumiMocks, unwrap } from "@sec-an/testing";
import * as pulumi from "@pulumi/pulumi";
import { assertLeastPrivilege, policyDocument } from "../../src/core";

describe("policyDocument", () => {
  beforeAll(() => setupPulumiMocks());

  it("resolves output resources and computed statements, defaulting Effect to Allow", async () => {
    const doc = policyDocument([
      { Action: "sqs:SendMessage", Resource: pulumi.output("arn:aws:sqs:us-east-1:1:q") },
      pulumi.output({ Sid: "Computed", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::b/*"] }),
    ]);
    expect(JSON.parse(await unwrap(doc))).toEqual({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: "sqs:SendMessage", Resource: "arn:aws:sqs:us-east-1:1:q" },
        { Sid: "Computed", Effect: "Allow", Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::b/*"] },
      ],
    });
    await settle();
  });

  it("rejects wildcard actions on every resource and empty statements", () => {
    expect(() => assertLeastPrivilege([{ Effect: "Allow", Action: "s3:*", Resource: "*" }])).toThrow(
      'wildcard action(s) ["s3:*"] on "*"',
    );
    expect(() =>
      assertLeastPrivilege([{ Effect: "Allow", Action: ["sqs:Get*"], Resource: ["arn:x", "*"] }]),
    ).toThrow("wildcard");
    expect(() => assertLeastPrivilege([{ Effect: "Allow", Action: [], Resource: "arn:x" }])).toThrow(
      "no actions",
    );
    expect(() => assertLeastPrivilege([{ Effect: "Allow", Action: "s3:GetObject", Resource: "" }])).toThrow(
      "empty resource",
    );
    expect(() =>
      assertLeastPrivilege([{ Effect: "Allow", Action: "s3:*", Resource: "arn:aws:s3:::b/*" }]),
    ).not.toThrow();
    expect(() => assertLeastPrivilege([{ Effect: "Deny", Action: "*", Resource: "*" }])).not.toThrow();
  });
});

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { mapEvent, PLUGINS, realtimeTriggers } from "../../src/engine";

const dir = join(__dirname, "../fixtures/engine/events");
const event = (name: string) => JSON.parse(readFileSync(join(dir, `${name}.json`), "utf8"));
const id = (n: number) => `sg-0a1b2c3d4e5f6${String(n).padStart(4, "0")}`;
const ingressPlugins = Object.keys(PLUGINS).filter((n) => n !== "openAllPortsProtocolsEgress");

describe("mapEvent", () => {
  it("maps AuthorizeSecurityGroupIngress (EventBridge) to the ingress plugins, the group, its new rules, and evaluates the change", () => {
    const m = mapEvent(event("authorize-ingress"));
    expect(m).toMatchObject({
      relevant: true,
      eventName: "AuthorizeSecurityGroupIngress",
      region: "us-east-1",
      account: "123456789012",
      groupIds: [id(1)],
      ruleIds: ["sgr-0aa1bb2cc3dd4ee01", "sgr-0aa1bb2cc3dd4ee02", "sgr-0aa1bb2cc3dd4ee03"],
    });
    expect(m.plugins.sort()).toEqual(ingressPlugins.sort());
    // SSH to 0.0.0.0/0 and ::/0 fails; PostgreSQL through a prefix list is UNKNOWN; nothing else is reported.
    expect(m.immediate.map((f) => [f.plugin, f.status])).toEqual([
      ["openSsh", "FAIL"],
      ["openPostgreSql", "UNKNOWN"],
    ]);
    expect(m.immediate[0]).toMatchObject({
      resource: `arn:aws:ec2:us-east-1:123456789012:security-group/${id(1)}`,
      evidence: {
        permissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, sources: ["0.0.0.0/0", "::/0"] }],
      },
    });
  });

  it("maps a bare CloudTrail AuthorizeSecurityGroupEgress record to the egress plugin, with its immediate WARN", () => {
    const m = mapEvent(event("authorize-egress"));
    expect(m).toMatchObject({
      relevant: true,
      plugins: ["openAllPortsProtocolsEgress"],
      groupIds: [id(6)],
      ruleIds: ["sgr-0aa1bb2cc3dd4ee04"],
    });
    expect(m.immediate.map((f) => f.status)).toEqual(["WARN"]);
  });

  it("takes the group from responseElements when a revoke names only rule ids", () => {
    const m = mapEvent(event("revoke-ingress-rule-ids"));
    expect(m).toMatchObject({
      relevant: true,
      groupIds: [id(1)],
      ruleIds: ["sgr-0aa1bb2cc3dd4ee01"],
      immediate: [],
    });
    expect(m.plugins).toContain("openSsh");
  });

  it("maps RevokeSecurityGroupEgress to the egress plugin", () => {
    expect(mapEvent(event("revoke-egress"))).toMatchObject({
      relevant: true,
      plugins: ["openAllPortsProtocolsEgress"],
      groupIds: [id(6)],
    });
  });

  it("reads ModifySecurityGroupRules' own request shape (GroupId, SecurityGroupRuleId)", () => {
    const m = mapEvent(event("modify-rules"));
    expect(m).toMatchObject({
      relevant: true,
      groupIds: [id(8)],
      ruleIds: ["sgr-0aa1bb2cc3dd4ee05"],
      immediate: [],
    });
    expect(m.plugins).toEqual(expect.arrayContaining(["openSsh", "openAllPortsProtocolsEgress"]));
  });

  it("takes the new group id of CreateSecurityGroup from the response, and DeleteSecurityGroup's from the request", () => {
    expect(mapEvent(event("create-group"))).toMatchObject({
      relevant: true,
      groupIds: ["sg-0a1b2c3d4e5f60013"],
      ruleIds: [],
    });
    expect(mapEvent(event("delete-group"))).toMatchObject({ relevant: true, groupIds: [id(7)] });
  });

  it.each(["run-instances", "create-network-interface", "modify-network-interface"])(
    "maps %s (a group becoming attached) to the ingress plugins and the attached groups",
    (name) => {
      const m = mapEvent(event(name));
      expect(m.relevant).toBe(true);
      expect(m.groupIds).toContain(id(7));
      expect(m.plugins.sort()).toEqual(ingressPlugins.sort());
      expect(m.immediate).toEqual([]);
    },
  );

  it("reports a failed call, another event, another service and junk as not relevant, with a reason", () => {
    expect(mapEvent(event("authorize-failed"))).toMatchObject({
      relevant: false,
      reason: expect.stringMatching(/^the call failed \(InvalidPermission.Duplicate/),
    });
    expect(mapEvent(event("stop-instances"))).toMatchObject({
      relevant: false,
      reason: "no plugin watches ec2:StopInstances",
      eventName: "StopInstances",
    });
    expect(mapEvent(event("s3-put-bucket-policy")).reason).toBe(
      'eventSource "s3.amazonaws.com" is not watched by any plugin',
    );
    for (const junk of [
      null,
      42,
      "AuthorizeSecurityGroupIngress",
      [],
      {},
      { "detail-type": "EC2 Instance State-change Notification", detail: {} },
    ]) {
      const m = mapEvent(junk);
      expect(m).toMatchObject({ relevant: false, plugins: [], groupIds: [], ruleIds: [], immediate: [] });
      expect(m.reason).toEqual(expect.any(String));
    }
    const noIds = {
      eventSource: "ec2.amazonaws.com",
      eventName: "AuthorizeSecurityGroupIngress",
      awsRegion: "us-east-1",
      requestParameters: { groupName: "default" },
    };
    expect(mapEvent(noIds)).toMatchObject({
      relevant: false,
      reason: "ec2:AuthorizeSecurityGroupIngress names no security group or rule id",
    });
  });

  it("ignores ids that are not security group ids (hostile values never become API input)", () => {
    const m = mapEvent({
      eventSource: "ec2.amazonaws.com",
      eventName: "DeleteSecurityGroup",
      awsRegion: "us-east-1",
      requestParameters: { groupId: "sg-1; rm -rf /" },
      responseElements: { groupId: "sg-0123456789abcdef0" },
    });
    expect(m.groupIds).toEqual(["sg-0123456789abcdef0"]);
  });

  it("has a fixture for every trigger any plugin names", () => {
    const mapped = new Set(
      readdirSync(dir)
        .map((f) => mapEvent(JSON.parse(readFileSync(join(dir, f), "utf8"))))
        .filter((m) => m.relevant)
        .map((m) => m.eventName),
    );
    expect([...mapped].sort()).toEqual(realtimeTriggers()[0].eventNames);
  });

  it("maps ModifyInstanceAttribute (new groups on a running instance) to every ingress plugin and the groups", () => {
    const m = mapEvent(event("modify-instance-attribute"));
    expect(m).toMatchObject({ relevant: true, eventName: "ModifyInstanceAttribute", groupIds: [id(8)] });
    expect([...m.plugins!].sort()).toEqual([...ingressPlugins].sort());
  });

  it("maps events of any service a plugin watches, by the service its eventSource names", () => {
    const s3Plugin = { ...PLUGINS.openSsh, name: "s3Watcher", realtime_triggers: ["s3:PutBucketPolicy"] };
    const s3 = event("s3-put-bucket-policy");
    // Watched service, no group in the request: relevant to the plugin, nothing to describe.
    expect(mapEvent(s3, [s3Plugin]).reason).toBe("s3:PutBucketPolicy names no security group or rule id");
    expect(mapEvent(event("authorize-ingress"), [s3Plugin]).reason).toBe(
      'eventSource "ec2.amazonaws.com" is not watched by any plugin',
    );
  });
});

describe("realtimeTriggers", () => {
  it("groups every plugin's triggers by EventBridge source", () => {
    expect(realtimeTriggers()).toEqual([
      {
        source: "aws.ec2",
        eventNames: [
          "AuthorizeSecurityGroupEgress",
          "AuthorizeSecurityGroupIngress",
          "CreateNetworkInterface",
          "CreateSecurityGroup",
          "DeleteSecurityGroup",
          "ModifyInstanceAttribute",
          "ModifyNetworkInterfaceAttribute",
          "ModifySecurityGroupRules",
          "RevokeSecurityGroupEgress",
          "RevokeSecurityGroupIngress",
          "RunInstances",
        ],
      },
    ]);
    expect(realtimeTriggers([PLUGINS.openAllPortsProtocolsEgress])[0].eventNames).not.toContain(
      "AuthorizeSecurityGroupIngress",
    );
  });
});

import { ConfigDocType, type ConfigFindingDoc, type ScannerParseFn } from "@sec-an/contracts";
import { findingPorts } from "./alerts/message";
import { groupIdOf, type Evaluation } from "./evaluate";

/** Bump when documents change, so a re-ingest shows which parser produced what. */
export const PARSER_VERSION = "1.0.0";

/** Evidence is kept as text: its shape differs per plugin, and one mapping must hold every plugin's. */
const EVIDENCE_CHARS = 4000;

/**
 * One document per finding, each (account, region, group) a parent: every evaluation runs every plugin
 * on the groups it names, so a group's collection replaces all its documents, and a deleted group's
 * empty collection clears them.
 */
export const parse: ScannerParseFn<Evaluation> = (raw, tools) => {
  const r = JSON.parse(raw.body.toString("utf8")) as Evaluation;
  if (!r.relevant || !r.region) return r;
  const region = r.region;
  const account = r.account ?? "";
  for (const f of r.findings) {
    const groupId = groupIdOf(f.resource) ?? f.resource;
    const g = r.groups.find((x) => x.groupId === groupId);
    const doc: ConfigFindingDoc = {
      plugin: f.plugin,
      title: f.title,
      status: f.status,
      severity: f.severity,
      open_to_world: f.status === "FAIL",
      region: f.region || region,
      account: f.account ?? account,
      resource: f.resource,
      group_id: groupId,
      ...(g?.groupName ? { group_name: g.groupName } : {}),
      ...(g?.vpcId ? { vpc_id: g.vpcId } : {}),
      ports: findingPorts(f.plugin, f.evidence),
      message: f.message,
      in_use: g?.inUse ?? false,
      eni_ids: g?.eniIds ?? [],
      public_ips: g?.publicIps ?? [],
      private_ips: g?.privateIps ?? [],
      trigger: r.trigger,
      evidence: JSON.stringify(f.evidence).slice(0, EVIDENCE_CHARS),
    };
    // The plugin keys the document within its group's collection.
    const ctx = tools.results({ account: doc.account, region: doc.region, group_id: groupId });
    ctx.pushContext({ plugin: f.plugin });
    ctx.postResults(ConfigDocType.findings, doc);
    ctx.popContext();
  }
  for (const groupId of r.removed) tools.results({ account, region, group_id: groupId });
  return r;
};

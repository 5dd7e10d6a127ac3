// Entry point of the policy pack for `pulumi preview|up --policy-pack packages/policy`.
// Never import this from tests: the PolicyPack constructor starts a gRPC server.
import { PolicyPack } from "@pulumi/policy";
import { secAnPolicies } from "./policies";

new PolicyPack("sec-an", { enforcementLevel: "mandatory", policies: secAnPolicies });

// Root all-in-one stack (Pulumi.yaml): every registered project's program in one stack, for ephemeral
// environments. See docs/deploying.md.
import * as pulumi from "@pulumi/pulumi";
import { allInOne } from "@sec-an/cli";

export = allInOne(pulumi.getStack());

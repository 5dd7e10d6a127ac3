// Root all-in-one stack (Pulumi.yaml): every project's program in one stack, for ephemeral
// environments. See docs/deploying.md.
import * as pulumi from "@pulumi/pulumi";
import { allInOne } from "@sec-an/cli/src/all-in-one";
import { prepareImageContext } from "@sec-an/project-nmap/container/build";

export = allInOne(pulumi.getStack(), { imageContext: prepareImageContext });

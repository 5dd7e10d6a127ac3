// Entry of the sec-an-shared-code Pulumi project: read config, run the program, export its outputs.
import * as pulumi from "@pulumi/pulumi";
import { program, readConfig } from "./src/program";

const out = program(readConfig(new pulumi.Config(), pulumi.getStack()));

export const layerArn = out.layerArn;
export const ssm = out.ssm;

// Entry of the sec-an-shared-code Pulumi project: read config, run the program, export its outputs.
import { runFromConfig } from "./src/program";

const out = runFromConfig();

export const layerArn = out.layerArn;
export const ssm = out.ssm;

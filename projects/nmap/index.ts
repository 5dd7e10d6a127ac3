// Entry point: validate config (fail fast, naming the key), then run the program. The image's build
// context is prepared only when no prebuilt image is configured.
import * as pulumi from "@pulumi/pulumi";
import { prepareImageContext } from "./container/build";
import { parseConfig } from "./src/config";
import { program } from "./src/program";

export = program(parseConfig(new pulumi.Config(), pulumi.getStack()), { imageContext: prepareImageContext });

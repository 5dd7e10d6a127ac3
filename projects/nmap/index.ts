// Entry point: validate config (fail fast, naming the key), then run the program. The image's build
// context is prepared only when no prebuilt image is configured.
import * as pulumi from "@pulumi/pulumi";
import { prepareImageContext } from "./container/build";
import { runFromConfig } from "./src/program";

export = runFromConfig(pulumi.getStack(), { imageContext: prepareImageContext });

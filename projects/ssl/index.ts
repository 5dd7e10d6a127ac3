// Entry point: validate config (fail fast, naming the key), then run the program.
import * as pulumi from "@pulumi/pulumi";
import { program } from "./src/program";
import { parseConfig } from "./src/stack-config";

export = program(parseConfig(new pulumi.Config(), pulumi.getStack()));

// Entry point: validate config (fail fast, naming the key), then run the program.
import * as pulumi from "@pulumi/pulumi";
import { parseConfig } from "./src/config";
import { program } from "./src/program";

export = program(parseConfig(new pulumi.Config(), pulumi.getStack()));

// Entry point of `pulumi up`: validate the stack config (fail fast, naming the key), then run the program.
import { runFromConfig } from "./src/program";

export = runFromConfig();

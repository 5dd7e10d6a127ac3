import type { Io } from "../main";
import { taskRegistry } from "../tasks";
import { parseCommand } from "./parse";

export async function run(args: string[], io: Io, root?: string): Promise<number> {
  return parseCommand(args, io, await taskRegistry(root));
}

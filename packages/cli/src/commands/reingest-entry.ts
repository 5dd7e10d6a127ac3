import { reingestCommand } from "@sec-an/runtime";
import type { Io } from "../main";
import { taskRegistry } from "../tasks";

/** `sec-an reingest --task <t> [--since …]`: replay a task's raw results through its current parser. */
export async function run(args: string[], io: Io, root?: string): Promise<number> {
  return reingestCommand(args, io, await taskRegistry(root));
}

// Public index of the CLI package: the command, and the all-in-one stack's program (root all-in-one.ts).
export { main, type Io } from "./main";
export { allInOne } from "./all-in-one";

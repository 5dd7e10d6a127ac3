import { makeLauncherHandler } from "./handler";

/** The generic launcher (contracts `ScanRequest`, no extra environment): the EcsTask default entry. */
export const handler = makeLauncherHandler();

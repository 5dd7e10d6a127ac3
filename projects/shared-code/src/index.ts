// Public index of the shared-code project: the program, for the tools that deploy or run it.
export { runFromConfig, program, readConfig, configSchema, defaultLayerModules, layerFiles } from "./program";
export type { SharedCodeConfig, LayerModule } from "./program";

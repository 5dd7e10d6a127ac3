import type { TaskModule } from "./commands/parse";

/**
 * The scanner tasks the CLI knows, loaded lazily. The CLI is the composition root: the only package
 * that imports projects. A scanner added to the platform adds one line here.
 */
export async function taskRegistry(): Promise<Record<string, TaskModule>> {
  const [{ nmapTask }, { sslTask }] = await Promise.all([
    import("@sec-an/project-nmap/src/task"),
    import("@sec-an/project-ssl/src/task"),
  ]);
  return {
    [nmapTask.name]: nmapTask as unknown as TaskModule,
    [sslTask.name]: sslTask as unknown as TaskModule,
  };
}

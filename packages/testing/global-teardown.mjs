export default async function globalTeardown() {
  await globalThis.__SEC_AN_EMULATORS__?.stop();
}

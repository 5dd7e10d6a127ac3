import { restoreEnvAfterAll, restoreEnvAfterEach, snapshotEnv, stackConfig } from "../src";

const K = `SEC_AN_ENV_TEST_${process.pid}`;
afterAll(() => {
  for (const k of [K, `${K}_B`, `${K}_OTHER`, `${K}_EACH`, `${K}_ALL`]) delete process.env[k];
});

describe("snapshotEnv", () => {
  it("restores the listed keys: set ones to their value, unset ones removed, others left alone", () => {
    process.env[K] = "before";
    delete process.env[`${K}_B`];
    const s = snapshotEnv([K, `${K}_B`]);
    process.env[K] = "changed";
    process.env[`${K}_B`] = "added";
    process.env[`${K}_OTHER`] = "not listed";
    s.restore();
    expect(process.env[K]).toBe("before");
    expect(`${K}_B` in process.env).toBe(false);
    expect(process.env[`${K}_OTHER`]).toBe("not listed");
  });

  it("without keys restores the whole environment, removing what was added", () => {
    process.env[K] = "before";
    delete process.env[`${K}_OTHER`];
    const s = snapshotEnv();
    process.env[K] = "changed";
    process.env[`${K}_OTHER`] = "added";
    s.restore();
    expect(process.env[K]).toBe("before");
    expect(`${K}_OTHER` in process.env).toBe(false);
  });

  it("restores in place: process.env stays Node's own object, which keeps values strings", () => {
    const env = process.env;
    snapshotEnv().restore();
    expect(process.env).toBe(env);
    (process.env as Record<string, unknown>)[K] = 42;
    expect(process.env[K]).toBe("42");
  });
});

describe("restoreEnvAfterEach", () => {
  delete process.env[`${K}_EACH`];
  restoreEnvAfterEach([`${K}_EACH`]);
  // The two tests run in order: the second sees what the hook left after the first.
  it("lets a test set a variable", () => {
    process.env[`${K}_EACH`] = "set by a test";
    expect(process.env[`${K}_EACH`]).toBe("set by a test");
  });
  it("has removed it before the next test", () => {
    expect(`${K}_EACH` in process.env).toBe(false);
  });
});

describe("restoreEnvAfterAll", () => {
  describe("a block that sets a variable in every test", () => {
    delete process.env[`${K}_ALL`];
    restoreEnvAfterAll();
    it("sets it", () => {
      process.env[`${K}_ALL`] = "1";
    });
    it("still sees it within the block", () => {
      expect(process.env[`${K}_ALL`]).toBe("1");
    });
  });
  it("has removed it once the block has run", () => {
    expect(`${K}_ALL` in process.env).toBe(false);
  });
});

describe("stackConfig", () => {
  it("answers set keys and undefined for others, like pulumi.Config.get", () => {
    const c = stackConfig({ retentionDays: "7" });
    expect(c.get("retentionDays")).toBe("7");
    expect(c.get("missing")).toBeUndefined();
    expect(stackConfig().get("anything")).toBeUndefined();
  });
});

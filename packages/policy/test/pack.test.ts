import { secAnPolicies } from "../src";

describe("the sec-an rule set", () => {
  test("has 23 uniquely named, described, mandatory rules", () => {
    const names = secAnPolicies.map((p) => p.name);
    expect(names).toHaveLength(23);
    expect(new Set(names).size).toBe(names.length);
    for (const p of secAnPolicies) {
      expect(p.name).toMatch(/^[a-z0-9-]+$/);
      expect(p.description.length).toBeGreaterThan(20);
      expect(p.enforcementLevel).toBe("mandatory");
    }
  });
});

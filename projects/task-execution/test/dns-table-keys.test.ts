/**
 * The shared test helper (`createDnsTables` in @sec-an/testing) creates the DNS tables other projects'
 * tests read; it must key them exactly as this project's `DnsTables` does, or those tests would pass
 * against tables no deployment has.
 */
import { DNS_TABLE_KEYS, dnsTableInput, resourceNamed, settle, setupPulumiMocks } from "@sec-an/testing";
import { DnsTables } from "../src/infra/tables";

test("the shared DNS-tables helper keys each table as the program declares it", async () => {
  setupPulumiMocks();
  new DnsTables("dns", { prefix: "dev-sec-an" });
  await settle();
  for (const [table, logical] of [
    ["resolvedHosts", "resolved-hosts"],
    ["resolvedAddresses", "resolved-addresses"],
  ] as const) {
    const declared = resourceNamed("aws:dynamodb/table:Table", `dns-${logical}`).inputs;
    const input = dnsTableInput(table, "t");
    const key = (type: string) => input.KeySchema!.find((k) => k.KeyType === type)!.AttributeName;
    expect([table, key("HASH"), key("RANGE")]).toEqual([table, declared.hashKey, declared.rangeKey]);
    expect([table, DNS_TABLE_KEYS[table]]).toEqual([
      table,
      { hash: declared.hashKey, range: declared.rangeKey },
    ]);
    const attrs = input.AttributeDefinitions!.map((a) => ({ name: a.AttributeName, type: a.AttributeType }));
    expect([table, attrs]).toEqual([table, declared.attributes]);
  }
});

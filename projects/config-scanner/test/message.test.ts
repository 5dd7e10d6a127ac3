import { findingPorts, highestSeverity } from "../src/alerts/message";
import { cacheFromDescribe, PLUGINS, runPlugins } from "../src/engine";
import { group } from "./helpers";

/** The ports an alert, a fix text and a document name: those the offending permissions open. */
describe("findingPorts", () => {
  const mongo = (perm: Record<string, unknown>) => findingPorts("openMongoDb", { permissions: [perm] });

  test("a port plugin names only the ports its offending permissions open", () => {
    expect(mongo({ IpProtocol: "tcp", FromPort: 27017, ToPort: 27017 })).toEqual([27017]);
    expect(mongo({ IpProtocol: "6", FromPort: 27018, ToPort: 27020 })).toEqual([27018, 27019]);
    expect(mongo({ IpProtocol: "-1" })).toEqual([27017, 27018, 27019]);
    expect(mongo({ IpProtocol: "udp", FromPort: 27017, ToPort: 27017 })).toEqual([]);
    // No permissions (an OK finding): what the plugin checks.
    expect(findingPorts("openMongoDb", {})).toEqual([27017, 27018, 27019]);
  });

  test("on the engine's own finding: 27017 open to the world is port 27017", () => {
    const cache = cacheFromDescribe("us-east-1", {
      SecurityGroups: [group("sg-0123456789abcdef0", [27017])],
    });
    const [f] = runPlugins([PLUGINS.openMongoDb], cache, ["us-east-1"]);
    expect(f.status).toBe("FAIL");
    expect(findingPorts(f.plugin, f.evidence)).toEqual([27017]);
  });

  test("the highest severity of a group's checks", () => {
    expect(highestSeverity(["low", "high", "medium"])).toBe("high");
    expect(highestSeverity(["medium", "critical"])).toBe("critical");
  });
});

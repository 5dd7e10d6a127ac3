import { MalformedJsonError, ScanRequest, SchemaError } from "@sec-an/contracts";
import { cutReason, headerSafe, logger, parseRecordBody, recordAttributes, sqsBatchHandler } from "../src";

logger.setLogLevel("SILENT");
import { fakeRecord, lambdaContext, sqsEvent } from "./helpers";

const good = JSON.stringify({ target: "127.0.0.1", requestedAt: "2026-11-23T10:00:00Z" });

describe("parseRecordBody", () => {
  it("parses and validates a raw body", () => {
    expect(parseRecordBody(ScanRequest, fakeRecord(good)).target).toBe("127.0.0.1");
  });

  it("unwraps an SNS envelope", () => {
    const envelope = JSON.stringify({
      Type: "Notification",
      MessageId: "x",
      TopicArn: "arn:t",
      Message: good,
      Timestamp: "t",
    });
    expect(parseRecordBody(ScanRequest, envelope)).toEqual(JSON.parse(good));
  });

  it("throws MalformedJsonError for non-JSON, in the envelope or inside it", () => {
    expect(() => parseRecordBody(ScanRequest, "{not json")).toThrow(MalformedJsonError);
    expect(() =>
      parseRecordBody(ScanRequest, JSON.stringify({ Type: "Notification", Message: "nope" })),
    ).toThrow(MalformedJsonError);
  });

  it("throws SchemaError naming the field", () => {
    const err = (() => {
      try {
        parseRecordBody(ScanRequest, JSON.stringify({ target: "" }));
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(SchemaError);
    expect(err?.message).toMatch(/ScanRequest is invalid: .*\/(target|requestedAt)/);
  });
});

describe("sqsBatchHandler", () => {
  it("reports only the failing records; good siblings succeed", async () => {
    const seen: string[] = [];
    const handler = sqsBatchHandler(async (r) => {
      const req = parseRecordBody(ScanRequest, r);
      seen.push(req.target);
    });
    const records = [
      fakeRecord(good, "ok-1"),
      fakeRecord("garbage", "bad-1"),
      fakeRecord(JSON.stringify({ target: 1 }), "bad-2"),
      fakeRecord(good, "ok-2"),
    ];
    const res = await handler(sqsEvent(records), lambdaContext());
    expect(res.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(["bad-1", "bad-2"]);
    expect(seen).toEqual(["127.0.0.1", "127.0.0.1"]);
  });

  it("reports every record when all fail, without throwing", async () => {
    const handler = sqsBatchHandler(async () => {
      throw new Error("down");
    });
    const res = await handler(sqsEvent([fakeRecord("a", "m1"), fakeRecord("b", "m2")]));
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: "m1" }, { itemIdentifier: "m2" }]);
  });

  it("returns string attributes of a record", () => {
    const r = fakeRecord("x", "m", {
      messageAttributes: {
        A: { dataType: "String", stringValue: "1" },
        B: { dataType: "Binary", binaryValue: "AA==" },
      },
    });
    expect(recordAttributes(r)).toEqual({ A: "1" });
  });
});

describe("cutReason", () => {
  it("leaves short text alone", () => {
    expect(cutReason("short", 100)).toBe("short");
  });

  it("cuts on a UTF-8 character boundary and marks the cut", () => {
    const text = "é".repeat(100) + "✓".repeat(100); // 200 + 300 bytes
    for (const limit of [1, 10, 11, 101, 250, 499]) {
      const cut = cutReason(text, limit);
      expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(limit);
      expect(cut).not.toContain("\uFFFD");
      if (limit >= 4) expect(cut.endsWith("…")).toBe(true);
    }
  });

  it("makes header-safe ASCII for metadata", () => {
    const cut = cutReason("Error: bad\n  at frame ✓ 1\ttab" + "x".repeat(3000), 64, { ascii: true });
    expect(cut).toMatch(/^[\x20-\x7e]*$/);
    expect(cut.length).toBeLessThanOrEqual(64);
    expect(cut.startsWith("Error: bad at frame ? 1 tab")).toBe(true);
    expect(cut.endsWith("...")).toBe(true);
    expect(headerSafe("a\r\nb")).toBe("a b");
  });
});

import { captureIo } from "../src";

describe("captureIo", () => {
  it("keeps each stream's writes in order, apart, and separate from another capture", () => {
    const a = captureIo();
    const b = captureIo();
    a.io.stdout.write("one ");
    a.io.stderr.write("warn");
    a.io.stdout.write("two");
    b.io.stdout.write("other");
    expect(a.out).toEqual({ stdout: "one two", stderr: "warn" });
    expect(b.out).toEqual({ stdout: "other", stderr: "" });
  });
});

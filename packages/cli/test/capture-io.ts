// One definition for every test that captures a command's output: it lives in @sec-an/testing.
export { captureIo } from "@sec-an/testing";

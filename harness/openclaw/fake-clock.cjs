// Loaded with NODE_OPTIONS=--require by the OpenClaw driver, for the gateway and every CLI call:
// Date (and Date.now) run SMS_HARNESS_CLOCK_FILE's number of milliseconds ahead of real time,
// so a scenario can move past the one-hour pairing expiry without waiting. Timers are untouched.
"use strict";
const fs = require("fs");
const file = process.env.SMS_HARNESS_CLOCK_FILE;
if (file) {
  const RealDate = Date;
  let checkedAt = 0;
  let offset = 0;
  const currentOffset = () => {
    const now = RealDate.now();
    if (now - checkedAt > 100) {
      checkedAt = now;
      try { offset = Number(fs.readFileSync(file, "utf8").trim()) || 0; } catch { offset = 0; }
    }
    return offset;
  };
  class ShiftedDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(RealDate.now() + currentOffset());
      else super(...args);
    }
    static now() { return RealDate.now() + currentOffset(); }
  }
  globalThis.Date = ShiftedDate;
}

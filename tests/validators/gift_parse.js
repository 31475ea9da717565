// Parse GIFT files with gift-pegjs (the grammar behind the GIFT editors and the VS Code
// extension) and print one JSON object, for each file named on the command line:
//   {"FILE": {"ok": true, "questions": [...]}}                      the whole file parsed
//   {"FILE": {"ok": false, "error": "...", "failed": [{"block", "error"}]}}
// "failed" lists each blank-line-separated block that does not parse on its own, so a test
// can name the questions at fault.
"use strict";
const fs = require("fs");
const parser = require("gift-pegjs/lib/gift-parser.js");

const results = {};
for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file, "utf8");
  try {
    results[file] = { ok: true, questions: parser.parse(text) };
  } catch (whole) {
    const failed = [];
    for (const block of text.split(/\n[ \t]*\n/)) {
      if (!block.trim()) continue;
      try {
        parser.parse(block + "\n");
      } catch (e) {
        failed.push({ block: block.slice(0, 200), error: e.message });
      }
    }
    results[file] = { ok: false, error: whole.message, failed: failed };
  }
}
process.stdout.write(JSON.stringify(results));

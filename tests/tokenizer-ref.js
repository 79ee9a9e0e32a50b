// The reference for tests/tokenizer-exact.test and make bench: the npm
// package @lenml/tokenizers (a port of transformers.js's tokenizers).
//
//   node tests/tokenizer-ref.js NODE_MODULES tokenizer.json [-c|-t] < texts
//
// Reads one JSON string per line and writes the token ids of each, comma
// separated, one line each; -c writes only the count, -t only the total
// of all texts and the seconds spent encoding (for the benchmark).
"use strict";
const path = require("path");
const fs = require("fs");
const { TokenizerLoader } = require(path.resolve(process.argv[2], "@lenml/tokenizers"));
const mode = process.argv[4] || "";
const tok = TokenizerLoader.fromPreTrained({
	tokenizerJSON: JSON.parse(fs.readFileSync(process.argv[3], "utf8")),
	tokenizerConfig: {},
});
const texts = fs.readFileSync(0, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
const out = [];
let total = 0;
const t0 = process.hrtime.bigint();
for (const t of texts) {
	const ids = tok.encode(t, { add_special_tokens: false });
	total += ids.length;
	if (mode === "-c")
		out.push(String(ids.length));
	else if (mode !== "-t")
		out.push(ids.join(","));
}
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
if (mode === "-t")
	out.push(total + " " + secs.toFixed(3));
process.stdout.write(out.join("\n") + "\n");

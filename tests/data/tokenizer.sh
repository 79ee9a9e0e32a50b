#!/bin/sh
# The Qwen tokenizer.json files of the tests, written into DIR:
#   sh tests/data/tokenizer.sh DIR
# DIR/qwen3-tokenizer.json from qwen3-tokenizer.json.gz, and
# DIR/qwen2.5-tokenizer.json: the same without the four added tokens that
# Qwen3 introduced (ids 151665-151668), which is Qwen2.5's set. Each is
# checked against the SHA-256 of the file it stands for (README.md).
dir=$1
data=$(dirname "$0")
gzip -dc "$data/qwen3-tokenizer.json.gz" > "$dir/qwen3-tokenizer.json" || exit 2
sed 's/, {"id": 15166[5-8], "content": "[^"]*", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": false}//g' \
    "$dir/qwen3-tokenizer.json" > "$dir/qwen2.5-tokenizer.json" || exit 2
(cd "$dir" && sha256sum -c --quiet) <<'SUMS' || { echo "tokenizer.sh: wrong tokenizer files in $dir" >&2; exit 2; }
0731c7fc318e4405c95e82079ef97cad7ed89db2b614414827aa49589b369563  qwen2.5-tokenizer.json
a15cda23be411de16c671b7e1c50a9c0ba1516a69f348d159e4c6ee6f3c02a26  qwen3-tokenizer.json
SUMS

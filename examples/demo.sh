#!/bin/sh
# make demo: the main job on the shipped example log.
#   demo.sh BINDIR
bin=$1
log=examples/tool_calls.log
out=${bin%/bin}/train.jsonl
PATH=$bin:$PATH
export PATH
step() {
	printf '\n$ %s\n' "$*"
	sh -c "$*"
}
echo "The example log: $(wc -l < $log) entries, old and new, parallel calls, errors."
step "tclog-cat -p $log | head -n 40"
if [ -x "$bin/tclog-filter" ]; then
	step "tclog-filter -c -U $log"
fi
if [ -x "$bin/tclog-upgrade" ] && [ -x "$bin/tclog-filter" ] &&
    [ -x "$bin/tclog-qwen" ]; then
	scrub=
	[ -x "$bin/tclog-scrub" ] && scrub=" | tclog-scrub -w cal=user"
	step "tclog-upgrade < $log$scrub | tclog-filter -g -r 4 | tclog-qwen -u -f trl -t examples/tools.json > $out"
	step "wc -l < $out && head -c 600 $out && echo ..."
	step "tclog-upgrade < $log | tclog-filter -g -r 4 | tclog-qwen -f openai | head -n 1"
fi
if [ -x "$bin/tclog-rate" ] && [ -x "$bin/tclog-upgrade" ] &&
    [ -x "$bin/tclog-qwen" ]; then
	echo
	echo "Unrated entries are rated after the fact, one key each, by"
	echo "'tclog-rate $log' (in a terminal); then every rating counts:"
	step "tclog-upgrade < $log | tclog-qwen -f kto -t examples/tools.json | wc -l"
fi
if [ -x "$bin/tclog-upgrade" ] && [ -x "$bin/tclog-stats" ]; then
	# the Qwen2.5 tokenizer.json of the tests (tests/data/README.md)
	tok=${bin%/bin}/tokenizer
	if mkdir -p "$tok" && sh tests/data/tokenizer.sh "$tok"; then
		step "tclog-upgrade < $log | tclog-stats -T $tok/qwen2.5-tokenizer.json -M 100"
	else
		step "tclog-upgrade < $log | tclog-stats"
	fi
fi

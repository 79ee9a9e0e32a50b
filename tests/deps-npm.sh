#!/bin/sh
# The npm package that tests (and make bench) use as the reference
# tokenizer, installed into DIR/node_modules when missing:
#   deps-npm.sh DIR
# as root with npm; otherwise (or offline) says in one line that the
# tests that need it will be skipped.
dir=$1
pkg=@lenml/tokenizers@3.7.2
[ -f "$dir/node_modules/@lenml/tokenizers/package.json" ] && exit 0
# node and npm from Debian, as tests/deps.sh installs the rest (a machine
# with a node of its own keeps it: NodeSource's conflicts with Debian's npm)
if [ "$(id -u)" = 0 ] && ! command -v npm >/dev/null 2>&1 &&
    command -v apt-get >/dev/null 2>&1; then
	echo "tclog: installing nodejs npm (apt-get)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm \
	    >/dev/null 2>&1 || true
fi
if [ "$(id -u)" = 0 ] && command -v npm >/dev/null 2>&1 &&
    command -v node >/dev/null 2>&1; then
	echo "tclog: installing $pkg (npm) into $dir"
	log=$(mkdir -p "$dir" && npm install --no-audit --no-fund \
	    --prefix "$dir" "$pkg" 2>&1) && exit 0
	# npm's reason: offline, a registry it cannot trust, ...
	why=$(printf '%s\n' "$log" | sed -n 's/^npm ERR! \(code\|request to\) //p' | head -2 | tr '\n' ' ')
	echo "tclog: npm install $pkg failed (${why% }): tokenizer tests will be skipped" >&2
	exit 0
fi
echo "tclog: $pkg not installed (needs node and npm): tokenizer tests will be skipped" >&2
exit 0

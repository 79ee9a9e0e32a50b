#!/bin/sh
# Installs the build and test dependencies when they are missing:
#   deps.sh CC DEBIAN-PACKAGE...
# as root with apt-get; otherwise says in one line what to install.
cc=$1
shift
missing=
# Whether the compiler finds a library's header (headers installed by
# hand, not by dpkg, count too).
has_header() {
	printf '%b\n' "$1" | $cc -E -x c - >/dev/null 2>&1
}
for pkg in "$@"; do
	case $pkg in
	libyajl-dev) has_header '#include <yajl/yajl_parse.h>' ||
		missing="$missing $pkg" ;;
	libutf8proc-dev) has_header '#include <utf8proc.h>' ||
		missing="$missing $pkg" ;;
	libvectorscan-dev) has_header '#include <hs/hs.h>' ||
		missing="$missing $pkg" ;;
	libpcre2-dev) has_header '#define PCRE2_CODE_UNIT_WIDTH 8\n#include <pcre2.h>' ||
		missing="$missing $pkg" ;;
	yajl-tools)
		command -v json_reformat >/dev/null 2>&1 || missing="$missing $pkg" ;;
	parallel)	# GNU parallel; moreutils has a parallel of its own
		parallel --version 2>/dev/null | grep -q '^GNU parallel' ||
		    missing="$missing $pkg" ;;
	python3-jinja2)
		python3 -c 'import jinja2' >/dev/null 2>&1 ||
		    /usr/bin/python3 -c 'import jinja2' >/dev/null 2>&1 ||
		    missing="$missing $pkg" ;;
	*-dev)	# any other library: Debian's word for it
		dpkg-query -W -f '${Status}' "$pkg" 2>/dev/null |
		    grep -q ' installed$' || missing="$missing $pkg" ;;
	*)
		command -v "${pkg#python3-}" >/dev/null 2>&1 ||
		    missing="$missing $pkg" ;;
	esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "tclog: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >/dev/null && apt-get install -y -qq $missing >/dev/null ||
	    { echo "tclog: apt-get install$missing failed" >&2; exit 2; }
	exit 0
fi
case $missing in
*-dev*)	# a library the build needs
	echo "tclog: headers not found: install$missing (Debian, Ubuntu; elsewhere yajl-devel, utf8proc-devel, vectorscan or hyperscan, pcre2-devel)" >&2
	exit 2 ;;
esac
echo "tclog: not installed (tests that need them will be skipped):$missing" >&2
exit 0

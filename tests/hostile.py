"""Hostile input for every tclog command on PATH (run by hostile.test).

Each case is run against every command built (tclog-cat, and
tclog-filter, tclog-upgrade, tclog-qwen once they exist; missing ones
are skipped): input arriving one byte at a time and in odd-sized reads
through a pipe, records exactly at and one byte over the -L limit, a
million tiny records, NUL bytes, JSON nested 10,000 deep, numbers beyond
64 bits, UTF-8 that yajl accepts and is not, and a file truncated while
the command reads it. Most checks
compare a command with itself on a clean version of the same input, so
they hold whatever the command does to a good record: the exit status,
one diagnostic "CMD: FILE:LINE: ..." per bad record, and every good
record written.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("TCLOG_BIN", "build/bin")
COMMANDS = {  # how each command is run on a log of good entries
    "tclog-cat": [],
    "tclog-filter": [],
    "tclog-upgrade": [],
    "tclog-qwen": ["-q", "-f", "openai"],	# -q: diagnostics only
    "tclog-stats": ["-j"],
}
# not filters: tclog-rate reads keys from a terminal (rate-session.test)
# tclog-eval asks an HTTP endpoint for every example (tests/eval/ runs it
# against a stand-in server; tests/eval/results has -L)
NOT_FILTERS = {"tclog-rate", "tclog-eval"}
# Commands that write one summary at the end instead of a line per
# record: their output is compared without the count of bad records, a
# record they may take or refuse only has to leave valid JSON, and the
# file cut while read (a test of a writer blocked mid-way) does not apply.
SUMMARY = {"tclog-stats"}


def summary(out):
    d = json.loads(out)
    d.pop("bad", None)
    return d
TMP = tempfile.mkdtemp(prefix="tclog-hostile-")
failures = []


def built(name):
    return os.access(os.path.join(BIN, name), os.X_OK)


def under_valgrind():
    with open(os.path.join(BIN, "tclog-cat"), "rb") as f:
        return b"valgrind" in f.read(4096)


def entry(i, **extra):
    """A good new-format entry, different from every other one."""
    args = json.dumps({"command": "echo %d" % i}, separators=(",", ":"))
    response = {"role": "assistant", "content": "",
                "tool_calls": [{"id": "call_%d" % i, "type": "function",
                                "function": {"name": "run_commands",
                                             "arguments": args}}]}
    e = {"timestamp": "2025-11-16T13:%02d:%02d.5-05:00" % (i // 60 % 60, i % 60),
         "model": "qwen2.5-coder:7b", "user_query": "query %d \u00e9t\u00e9 <b>" % i,
         "model_response": json.dumps(response, separators=(",", ":")),
         "tool_name": "run_commands", "arguments": args, "status": "success",
         "message": "Command executed successfully", "output": "%d\n" % i,
         "tools_enabled": True, "rating": i % 5 + 1}
    e.update(extra)
    return json.dumps(e, ensure_ascii=False, separators=(",", ":")).encode()


def lines(*records):
    return b"".join(r + b"\n" for r in records)


def run(argv, data=b"", chunks=None, path=None, timeout=600):
    """Runs a command; data on stdin, written in chunks when asked.
    Returns (status, stdout, stderr)."""
    out = tempfile.TemporaryFile(dir=TMP)
    err = tempfile.TemporaryFile(dir=TMP)
    if path is not None:
        p = subprocess.Popen(argv + [path], stdin=subprocess.DEVNULL,
                             stdout=out, stderr=err)
    elif chunks is None:
        src = tempfile.TemporaryFile(dir=TMP)
        src.write(data)
        src.seek(0)
        p = subprocess.Popen(argv, stdin=src, stdout=out, stderr=err)
        src.close()
    else:
        p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=out,
                             stderr=err)
        fd = p.stdin.fileno()
        pos = n = 0
        while pos < len(data):
            size = chunks(n)
            os.write(fd, data[pos:pos + size])
            pos += size
            n += 1
            if n % 97 == 0:
                time.sleep(0.0005)  # let the reader catch up: short reads
        p.stdin.close()
    status = p.wait(timeout=timeout)
    out.seek(0)
    err.seek(0)
    return status, out.read(), err.read()


def fail(cmd, case, why):
    failures.append("%s: %s: %s" % (cmd, case, why))


def diagnostics(cmd, stderr, name="<stdin>"):
    """The line numbers the diagnostics name; None when one is malformed."""
    found = []
    prefix = ("%s: %s:" % (cmd, name)).encode()
    for line in stderr.splitlines():
        if not line.startswith(prefix):
            return None
        number = line[len(prefix):].split(b":", 1)[0]
        if not number.isdigit():
            return None
        found.append(int(number))
    return found


def expect_same(cmd, case, got, want):
    if got != want:
        fail(cmd, case, "status %d, expected %d; stderr %r vs %r; stdout %s"
             % (got[0], want[0], got[2][:300], want[2][:300],
                "same" if got[1] == want[1] else
                "differs (%d bytes, expected %d)" % (len(got[1]), len(want[1]))))


def expect_bad(cmd, case, result, clean, bad_lines):
    """Status 1, one diagnostic per bad line, the good records' output."""
    status, out, err = result
    where = diagnostics(cmd, err)
    if status != 1:
        fail(cmd, case, "status %d, expected 1; stderr %r" % (status, err[:300]))
    if where != bad_lines:
        fail(cmd, case, "diagnostics at lines %s, expected %s: %r"
             % (where, bad_lines, err[:400]))
    if clean[0] != 0:
        fail(cmd, case, "the clean input gives status %d: %r" % clean[0:3:2])
    if cmd in SUMMARY:
        if summary(out) != summary(clean[1]):
            fail(cmd, case, "summary differs: %r, expected %r" % (out, clean[1]))
    elif out != clean[1]:
        fail(cmd, case, "good records not all written (%d bytes, expected %d)"
             % (len(out), len(clean[1])))


def good_subsequence(cmd, case, result, clean, line):
    """A record that a command may take or refuse: no crash, and when it is
    refused one diagnostic for its line; the good records all written."""
    status, out, err = result
    if status not in (0, 1) or (status == 1) != bool(err):
        fail(cmd, case, "status %d, stderr %r" % (status, err[:300]))
        return
    if status == 1 and diagnostics(cmd, err) != [line]:
        fail(cmd, case, "expected one diagnostic for line %d: %r" % (line, err[:300]))
    if cmd in SUMMARY:
        summary(out)  # valid JSON, or the test fails with the exception
        return
    got = iter(out.splitlines())
    if not all(any(g == w for g in got) for w in clean[1].splitlines()):
        fail(cmd, case, "good records missing from the output")


def case_slow_pipe(cmd, argv):
    data = (lines(*(entry(i) for i in range(12)))
            + b"{\"not\": json}\n" + b"\n  \n" + entry(12) + b"\r\n"
            + b"[1,2]\n" + lines(*(entry(i) for i in range(13, 30))))
    want = run(argv, data)
    if want[0] != 1 or diagnostics(cmd, want[2]) != [13, 17]:
        fail(cmd, "pipe", "reference run: status %d, stderr %r" % (want[0], want[2][:300]))
    odd = [3, 7, 1, 13, 2, 11, 5, 17, 64, 4093]
    expect_same(cmd, "pipe, 1-byte writes", run(argv, data, chunks=lambda n: 1), want)
    expect_same(cmd, "pipe, odd-sized writes",
                run(argv, data, chunks=lambda n: odd[n % len(odd)]), want)


def sized(i, size):
    """An entry of exactly size bytes."""
    base = entry(i, output="")
    pad = size - len(base)
    record = entry(i, output="x" * pad)
    assert len(record) == size, (len(record), size)
    return record


def case_limit(cmd, argv):
    limit = 1000
    at, over = sized(1, limit), sized(3, limit + 1)
    data = lines(entry(0), at, entry(2), over, entry(4)) + at + b"\r\n"
    clean = run(argv, lines(entry(0), at, entry(2), entry(4), at))
    expect_bad(cmd, "-L: at and one byte over the limit",
               run(argv + ["-L", str(limit)], data), clean, [4])


def case_million(cmd, argv, count):
    tiny = {"tclog-cat": (b'{"a":1}', True), "tclog-filter": (b'{"rating":5}', True),
            "tclog-upgrade": (b'{"tool_name":"t","arguments":"{}"}', False)}
    record, same = tiny.get(cmd, (b'{"a":1}', False))
    data = (record + b"\n") * count
    start = time.time()
    status, out, err = run(argv, data)
    took = time.time() - start
    if cmd in tiny and (status != 0 or err):
        fail(cmd, "%d tiny records" % count, "status %d, stderr %r" % (status, err[:300]))
    elif status not in (0, 1):
        fail(cmd, "%d tiny records" % count, "status %d" % status)
    if same and out != data:
        fail(cmd, "%d tiny records" % count, "output is not the input")
    if cmd == "tclog-upgrade" and out.count(b"\n") != count:
        fail(cmd, "%d tiny records" % count, "%d records out" % out.count(b"\n"))
    print("%s: %d tiny records in %.2f s" % (cmd, count, took))


def case_nul(cmd, argv):
    data = (lines(entry(0), b'{"a":"x\x00y"}', entry(1), b'{"b":1\x00}',
                  b"\x00", b'\x00{"c":1}', entry(2)))
    clean = run(argv, lines(entry(0), entry(1), entry(2)))
    expect_bad(cmd, "NUL bytes", run(argv, data), clean, [2, 4, 5, 6])


def case_utf8(cmd, argv):
    """Bytes yajl takes for UTF-8 and are not: an overlong form, a
    surrogate written as UTF-8, a code point past U+10FFFF."""
    data = lines(entry(0), entry(1)[:-1] + b',"x":"\xc0\x80"}',
                 b'{"a":"\xed\xa0\x80"}', entry(2), b'{"b":"\xf4\x90\x80\x80"}',
                 entry(3))
    clean = run(argv, lines(entry(0), entry(2), entry(3)))
    expect_bad(cmd, "UTF-8 that yajl lets through", run(argv, data), clean, [2, 3, 5])


def case_deep(cmd, argv):
    deep = b'{"a":' + b"[" * 10000 + b"]" * 10000 + b"}"
    clean = run(argv, lines(entry(0), entry(1)))
    result = run(argv, lines(entry(0), deep, entry(1)))
    if cmd == "tclog-cat":
        expect_bad(cmd, "nested 10,000 deep", result, clean, [2])
        if b"nested deeper than" not in result[2]:
            fail(cmd, "nested 10,000 deep", "diagnostic: %r" % result[2])
    else:
        good_subsequence(cmd, "nested 10,000 deep", result, clean, 2)
    # JSON nested 100,000 deep inside a string: the arguments of a call.
    text = "[" * 100000 + "]" * 100000
    args = entry(1, arguments=text,
                 model_response=json.dumps({"role": "assistant", "content": "",
                                            "tool_calls": [{"type": "function", "function": {
                                                "name": "run_commands", "arguments": text}}]}))
    good_subsequence(cmd, "arguments nested 100,000 deep",
                     run(argv, lines(entry(0), args, entry(2))),
                     run(argv, lines(entry(0), entry(2))), 2)
    if cmd == "tclog-cat":
        status, out, err = run(argv + ["-p"], lines(entry(0), args, entry(2)))
        if status != 0 or err or out.count(b"\n#") != 2:
            fail(cmd, "-p: arguments nested 100,000 deep", "status %d, %r" % (status, err[:200]))


def case_numbers(cmd, argv):
    big = b"123456789012345678901234567890"
    numbers = (entry(1)[:-1] + b',"big":' + big
               + b',"neg":-1e400,"u64":18446744073709551616}')
    clean = run(argv, lines(entry(0), entry(2)))
    result = run(argv, lines(entry(0), numbers, entry(2)))
    good_subsequence(cmd, "numbers beyond 64 bits", result, clean, 2)
    if cmd in ("tclog-cat", "tclog-filter") and big not in result[1]:
        fail(cmd, "numbers beyond 64 bits", "the number text was not kept")
    if cmd == "tclog-filter":
        rating = entry(1).replace(b'"rating":2', b'"rating":' + big)
        expect_bad(cmd, "a rating beyond 64 bits", run([cmd, "-r", "1"],
                   lines(entry(0), rating, entry(2))),
                   run([cmd, "-r", "1"], lines(entry(0), entry(2))), [2])


def position(pid, path):
    """Where process pid is reading path, or None."""
    try:
        for fd in os.listdir("/proc/%d/fd" % pid):
            if os.readlink("/proc/%d/fd/%s" % (pid, fd)) == path:
                with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                    return int(f.readline().split()[1])
    except OSError:
        pass
    return None


def case_truncated(cmd, argv, count):
    """The logger rewrites its file on every call: a reader may see it
    shrink. The command reads a file, blocks on a full output pipe, the
    file is cut in the middle of a record; then it must give what it gives
    on the file as cut: the records before, a diagnostic for the cut one."""
    path = os.path.join(TMP, "shrinking.jsonl")
    records = [entry(i) for i in range(count)]
    with open(path, "wb") as f:
        f.write(lines(*records))
    cut = sum(len(r) + 1 for r in records[:count // 2]) + 40
    p = subprocess.Popen(argv + [path], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    last, stable, deadline = None, 0, time.time() + 60
    while stable < 5 and time.time() < deadline:  # until it blocks
        time.sleep(0.02)
        pos = position(p.pid, path)
        stable = stable + 1 if pos is not None and pos == last else 0
        last = pos
    if last is None or last >= cut:
        p.kill()
        p.communicate()
        fail(cmd, "file truncated while read", "did not block before the cut "
             "(read %s of %d bytes)" % (last, cut))
        return
    os.truncate(path, cut)
    out, err = p.communicate(timeout=600)
    got = (p.returncode, out, err)
    want = run(argv, path=path)
    expect_same(cmd, "file truncated while read", got, want)
    if want[0] != 1 or diagnostics(cmd, want[2], path) != [count // 2 + 1]:
        fail(cmd, "file truncated while read", "status %d, stderr %r"
             % (want[0], want[2][:300]))


def main():
    valgrind = under_valgrind()
    present = [c for c in COMMANDS if built(c)]
    for name in sorted(os.listdir(BIN)):  # commands this test does not know
        if (name.startswith("tclog-") and name not in COMMANDS and
                name not in NOT_FILTERS and built(name)):
            COMMANDS[name] = []
            present.append(name)
    for cmd in COMMANDS:
        if cmd not in present:
            print("%s: not built, skipped" % cmd)
    for cmd in present:
        argv = [cmd] + COMMANDS[cmd]
        case_slow_pipe(cmd, argv)
        case_limit(cmd, argv)
        # A million records in the plain build, where it shows speed and
        # flat memory; the sanitizers (ten times slower: 30 s of make
        # check) and valgrind see the same paths with fewer.
        case_million(cmd, argv, 5000 if valgrind else 100000
                     if os.environ.get("TCLOG_MODE") == "sanitize" else 1000000)
        case_nul(cmd, argv)
        case_utf8(cmd, argv)
        case_deep(cmd, argv)
        case_numbers(cmd, argv)
        if cmd not in SUMMARY:
            case_truncated(cmd, argv, 2000 if valgrind else 10000)
    for f in failures:
        print("FAIL " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        subprocess.run(["rm", "-rf", TMP])

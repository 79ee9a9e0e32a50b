"""What the trainer conformance tests (tests/trainers-*.test) share.

Each test re-expresses, in its own Python, how one trainer loads and
renders a tclog-qwen format, and compares the text it would train on
with what transformers renders for the same example with the Qwen2.5
chat template (tests/data/qwen2.5_chat_template.jinja through
Jinja2, set up as transformers sets it up). This module holds the
reference side: the template, the logs (examples/tool_calls.log and the
real log after tclog-upgrade, and generated ones), the option sets, and
running tclog-qwen.
"""
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile

DATA = "tests/data"
TEMPLATE = DATA + "/qwen2.5_chat_template.jinja"
TRAINING_TEMPLATE = DATA + "/trl-qwen2.5-training.jinja"
REAL_LOG = DATA + "/tinypenguin-tool_calls.log"
DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."


def skip(reason):
    print("skipped: " + reason)
    sys.exit(77)


def require():
    """Skips the test (exit 77) when what it needs is absent."""
    try:
        import jinja2  # noqa: F401
    except ImportError:
        skip("no jinja2 for python3 (Debian package python3-jinja2)")
    try:
        p = subprocess.run(["tclog-qwen", "--help"], stdout=subprocess.PIPE)
    except OSError:
        skip("tclog-qwen is not on PATH")
    # The formats as issue 11 made them: -f trl, -o, -P.
    if not all(s in p.stdout.decode() for s in ("trl", "-o", "-P")):
        skip("tclog-qwen has no -f trl, -o, -P (older than issue 11)")


# ---- the Qwen2.5 template, as transformers renders it ----

# Marks around what a {% generation %} block wrote; the body may hold
# anything a log holds, so the marks are long and unlikely.
GEN_OPEN, GEN_CLOSE = "\x00\x01<tclog-generation>\x01\x00", "\x00\x01</tclog-generation>\x01\x00"


class Templates:
    """The stock and the TRL training template in one Jinja2 environment
    like transformers' (trim_blocks, lstrip_blocks, loopcontrols, tojson
    as json.dumps with ensure_ascii=False) and a {% generation %} tag
    that records which characters it wrote, as transformers' assistant
    mask tracking does."""

    def __init__(self):
        import jinja2
        import jinja2.ext
        from jinja2 import nodes
        from jinja2.sandbox import ImmutableSandboxedEnvironment

        class Generation(jinja2.ext.Extension):
            tags = {"generation"}

            def parse(self, parser):
                lineno = next(parser.stream).lineno
                body = parser.parse_statements(("name:endgeneration",), drop_needle=True)
                call = self.call_method("_mark")
                return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

            def _mark(self, caller):
                return GEN_OPEN + caller() + GEN_CLOSE

        def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
            return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent,
                              separators=separators, sort_keys=sort_keys)

        env = ImmutableSandboxedEnvironment(
            trim_blocks=True, lstrip_blocks=True,
            extensions=[jinja2.ext.loopcontrols, Generation])
        env.filters["tojson"] = tojson
        self.stock = env.from_string(open(TEMPLATE).read())
        self.training = env.from_string(open(TRAINING_TEMPLATE).read())

    def render(self, messages, tools=None, add_generation_prompt=False):
        return self.stock.render(messages=messages, tools=tools,
                                 add_generation_prompt=add_generation_prompt)

    def render_training(self, messages, tools=None):
        """(text, [generation spans as (start, end)])."""
        marked = self.training.render(messages=messages, tools=tools,
                                      add_generation_prompt=False)
        text, spans, pos = [], [], 0
        while True:
            i = marked.find(GEN_OPEN, pos)
            if i < 0:
                text.append(marked[pos:])
                break
            j = marked.index(GEN_CLOSE, i)
            text.append(marked[pos:i])
            start = sum(map(len, text))
            text.append(marked[i + len(GEN_OPEN):j])
            spans.append((start, start + j - i - len(GEN_OPEN)))
            pos = j + len(GEN_CLOSE)
        return "".join(text), spans


def documented(t, fmt):
    """The documented example of fmt in formats-examples.tsv (one
    parallel call, its results and a closing answer), and the Qwen2.5
    template's rendering of the same conversation in its hf_trl form:
    a check of a re-expressed trainer on a conversation tclog-qwen
    never writes."""
    rows = dict(l.rstrip("\n").split("\t", 1)
                for l in open(DATA + "/formats-examples.tsv", encoding="utf-8"))
    hf = json.loads(rows["hf_trl"])
    return json.loads(rows[fmt]), t.render(hf["messages"], hf_tools(hf))


def assistant_output(t, messages, tools):
    """What the model wrote in the example, as the template renders it:
    the assistant turn after its '<|im_start|>assistant\\n' header, to
    its '<|im_end|>\\n'. Found as the difference between the rendering
    up to the assistant message and that of the messages before it with
    the generation prompt, so it is the template's own idea."""
    a = [i for i, m in enumerate(messages) if m["role"] == "assistant"]
    assert len(a) == 1, "one assistant turn per example"
    before = t.render(messages[:a[0]], tools, add_generation_prompt=True)
    upto = t.render(messages[:a[0] + 1], tools)
    assert upto.startswith(before)
    return upto[len(before):]


def hf_tools(example):
    tools = example.get("tools")
    return json.loads(tools) if isinstance(tools, str) else tools


# ---- running tclog-qwen ----

def lines_of(data):
    # Lines end at LF only: U+2028 and the like stay inside strings.
    text = data.decode("utf-8")
    assert text == "" or text.endswith("\n"), "output ends without a newline"
    return text.split("\n")[:-1]


def qwen(fmt, opts, log):
    """(status, output lines, stderr) of tclog-qwen -f fmt opts log."""
    p = subprocess.run(["tclog-qwen", "-f", fmt] + opts + [log],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, lines_of(p.stdout), p.stderr.decode("utf-8", "replace")


# ---- the logs ----

def entry(rnd, query, response, tool, args_text, status, message, output=None,
          details=None, rating=5):
    e = {"timestamp": "2025-11-16T13:10:33.5-05:00", "model": "qwen2.5-coder:7b",
         "user_query": query, "model_response": json.dumps(response),
         "tool_name": tool, "arguments": args_text, "status": status,
         "message": message}
    if output is not None:
        e["output"] = output
    if details is not None:
        e["error_details"] = details
    e["tools_enabled"] = True
    e["rating"] = rating
    return json.dumps(e, ensure_ascii=rnd.random() < 0.5)


QUERIES = ["Who is logged in?", "Greet users in /etc/motd", "Fix the <title> & </title>",
           "Ünïcode ✓ 日本語 🐧", "Two lines\nof query", "Quote \"this\" \\ that",
           "  spaces around  ", "tab\there"]
PROSE = ["", "", "", "Sure.", "Checking the message of the day: motd.",
         "Line one\nline two", "Ünïcode ✓ prose", "Running these now:",
         "Prose ending in a newline\n"]
COMMANDS = ["who", "pwd", "ls -la /etc", "df -h", "cat /etc/motd", "grep -n '<b>' a && b",
            "echo \"ü ✓\"", "printf 'a\\tb\\n'"]
NUMBERS = ["1", "1.0", "0.1", "1e-05", "1E16", "-0", "123456789012345678901234567890",
           "2.5e-3", "30"]


def arguments(rnd, tool):
    if tool == "edit_files":
        obj = {"path": rnd.choice(["/etc/motd", "index.html", "ü/日本.txt"]),
               "diff": rnd.choice(["+Hello", "-<title>\n+<title>Home", "+✓ \"q\""])}
        text = json.dumps(obj, ensure_ascii=rnd.random() < 0.5,
                          separators=rnd.choice([(",", ":"), (", ", ": ")]))
    else:
        text = '{"command": %s' % json.dumps(rnd.choice(COMMANDS), ensure_ascii=rnd.random() < 0.5)
        if rnd.random() < 0.4:
            text += ', "timeout": ' + rnd.choice(NUMBERS)
        if rnd.random() < 0.15:
            text += ', "env": {"LANG": "C", "list": [1, 2.50, true, null, {}]}'
        text += "}"
    return text


def generated_log(path, seed=20251129, nresponse=70):
    """A log of responses of 1 to 4 calls, with prose, tricky values,
    every status; some responses miss an entry, some entries match no
    call of their response, some calls were written as text."""
    rnd = random.Random(seed)
    lines = []
    for g in range(nresponse):
        query = rnd.choice(QUERIES) + " #%d" % g
        calls = []
        for j in range(rnd.choice([1, 1, 2, 2, 3, 4])):
            tool = rnd.choice(["run_commands", "run_commands", "edit_files"])
            c = {"type": "function", "function": {"name": tool, "arguments": arguments(rnd, tool)}}
            if rnd.random() < 0.8:
                c = dict({"id": "call_%d_%d" % (g, j)}, **c)
            calls.append(c)
        content = rnd.choice(PROSE)
        if rnd.random() < 0.08:		# the calls written out again as JSON
            content = "```json\n" + calls[0]["function"]["arguments"] + "\n```"
        kind = rnd.random()
        if kind < 0.08:			# a call written as text: no tool_calls
            fn = calls[0]["function"]
            text = json.dumps({"name": fn["name"], "arguments": json.loads(fn["arguments"])})
            lines.append(entry(rnd, query, {"role": "assistant", "content": text},
                               fn["name"], fn["arguments"], "success", "ok", output="done\n"))
            continue
        response = {"role": "assistant", "content": content, "tool_calls": calls}
        logged = list(range(len(calls)))
        if kind < 0.16 and len(calls) > 1:	# an entry missing
            del logged[rnd.randrange(len(logged))]
        for j in logged:
            fn = calls[j]["function"]
            status = rnd.choice(["success", "success", "error", "denied"])
            lines.append(entry(rnd, query, response, fn["name"],
                               json.dumps(json.loads(fn["arguments"]), separators=(",", ":")),
                               status, {"success": "Command executed successfully",
                                        "error": "Command failed",
                                        "denied": "User denied the call"}[status],
                               output=rnd.choice([None, "", "out ✓ %d\n" % j, "a\nb\n"]),
                               details=rnd.choice([None, "", "exit status 1"])))
        if 0.16 <= kind < 0.22:		# an entry whose call is not in the response
            lines.append(entry(rnd, query, response, "run_commands", '{"command":"rm -rf ~"}',
                               "denied", "User denied the call", rating=1))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def upgraded(src, dst):
    with open(src, "rb") as i, open(dst, "wb") as o:
        p = subprocess.run(["tclog-upgrade"], stdin=i, stdout=o, stderr=subprocess.PIPE)
    if p.returncode != 0:
        raise SystemExit("tclog-upgrade %s: status %d: %s" % (src, p.returncode, p.stderr.decode()))


class Inputs:
    """The logs and the files the options name, in a temporary folder."""

    def __init__(self):
        self.dir = tempfile.mkdtemp()
        self.logs = []
        for name, src in (("example", "examples/tool_calls.log"), ("tinypenguin", REAL_LOG)):
            dst = os.path.join(self.dir, name + ".log")
            upgraded(src, dst)
            self.logs.append((name, dst))
        gen = os.path.join(self.dir, "generated.log")
        generated_log(gen)
        self.logs.append(("generated", gen))
        self.system = os.path.join(self.dir, "system.txt")
        with open(self.system, "w") as f:
            f.write("You are an RHCSA administrator.\nUse tools \"wisely\" — 日本語.\n")
        self.tools = "examples/tools.json"
        self.empty_tools = os.path.join(self.dir, "empty-tools.json")
        with open(self.empty_tools, "w") as f:
            f.write("[]\n")
        # The same tools with more to them: a third tool, Unicode and
        # numbers in descriptions and defaults, "function" before "type"
        # (a trainer that rebuilds a tool object would change its text).
        tools = json.load(open(self.tools))
        tools.append({"function": {
            "name": "calc", "description": "Ünïcode \"tool\" <&> ✓",
            "parameters": {"type": "object", "properties": {
                "values": {"type": "array", "default": [1.0, 1e-05, 1e16, -0, 0.1]}},
                "required": []}}, "type": "function"})
        self.more_tools = os.path.join(self.dir, "more-tools.json")
        with open(self.more_tools, "w") as f:
            json.dump(tools, f, indent=1, ensure_ascii=False)

    def option_sets(self):
        """Every combination of a system prompt (none, -s, -s '', -S),
        tools (none, -t, a richer -t, -t of []) and the flags -k, -o,
        -P, -u."""
        systems = [[], ["-s", "Be brief. — ok"], ["-s", ""], ["-S", self.system]]
        tools = [[], ["-t", self.tools], ["-t", self.more_tools], ["-t", self.empty_tools]]
        flags = [[]]
        for n in range(1, 5):
            flags += [list(c) for c in itertools.combinations(["-k", "-o", "-P", "-u"], n)]
        sets = [s + t + f for s in systems for t in tools for f in flags]
        if os.environ.get("TCLOG_MODE") == "valgrind":
            sets = sets[::25]	# 30 times slower there: a sample
        return sets

    def cleanup(self):
        for f in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, f))
        os.rmdir(self.dir)


class Report:
    """Failures, each once with its first few examples, and a summary."""

    def __init__(self, name):
        self.name = name
        self.failures = {}
        self.checked = 0

    def fail(self, kind, detail):
        n = self.failures.setdefault(kind, [])
        n.append(detail)

    def done(self):
        for kind, details in self.failures.items():
            print("FAIL %s (%d times)" % (kind, len(details)))
            for d in details[:2]:
                print("  " + d.replace("\n", "\n  ")[:1500])
        print("%s: %d renderings checked, %d kinds of failure" % (
            self.name, self.checked, len(self.failures)))
        sys.exit(1 if self.failures else 0)


def show(label, want, got):
    """Where two texts part, for a failure message."""
    i = next((k for k in range(min(len(want), len(got))) if want[k] != got[k]),
             min(len(want), len(got)))
    return "%s: differ at %d: want %r, got %r" % (
        label, i, want[max(0, i - 40):i + 60], got[max(0, i - 40):i + 60])


def refuses_results(report, fmt, opts, status, lines, err):
    """A format that never carries results must refuse -o as a usage
    error. True when opts hold -o (the run is then done with)."""
    if "-o" not in opts:
        return False
    want = "tclog-qwen: -o: the %s format never carries tool results\n" % fmt
    if status != 2 or lines or not err.startswith(want):
        report.fail("-f %s -o is not a usage error" % fmt,
                    "%s: status %d, %d lines: %s" % (" ".join(opts), status, len(lines), err[:200]))
    return True


def empty_system(opts):
    """Whether opts give an empty system prompt."""
    return "-s" in opts and opts[opts.index("-s") + 1] == ""


def compare(report, label, opts, got, want):
    """got and want: for each example, (text trained on, [the spans
    trained on]) as the trainer and as the reference see it. Line by
    line; with -u as sets, since -u drops the repeated lines of each
    format and formats differ in what they carry (ids, say)."""
    report.checked += len(got)
    where = "%s %s" % (label, " ".join(opts))
    if "-u" in opts:
        got, want = sorted(set(got)), sorted(set(want))
    if len(got) != len(want):
        report.fail(label + ": not as many examples as the reference",
                    "%s: %d, reference %d" % (where, len(got), len(want)))
        return
    for (gtext, gspans), (wtext, wspans) in zip(got, want):
        if gtext != wtext:
            report.fail(label + ": renders other text than the Qwen2.5 template",
                        show(where, wtext, gtext))
        elif gspans != wspans:
            report.fail(label + ": trains on other spans than the model's output",
                        "%s: trains on %r, the model wrote %r" % (where, gspans, wspans))

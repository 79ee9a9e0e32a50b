# The conversion to OpenAI fine-tuning examples with python3's json
# module: the same rules as openai.jq (see there), streaming.
import json
import re
import sys

FENCE = re.compile(r"^\s*```(json)?|```\s*$")


def args_value(a):
    if isinstance(a, str):
        try:
            return json.loads(a)
        except ValueError:
            return a
    return a


def tool_content(e):
    s = "Tool execution result:\nStatus: %s" % e.get("status")
    if e.get("status") != "success":
        err = e.get("error_details") or e.get("message") or ""
        if err:
            s += "\nError: " + err
    if e.get("output"):
        s += "\nOutput: " + e["output"]
    return s


def content_of(r):
    c = r.get("content") or ""
    bare = FENCE.sub("", c)
    if bare.lstrip()[:1] in ("{", "["):
        try:
            json.loads(bare)
            return ""
        except ValueError:
            pass
    return c


class Example:
    def __init__(self, e):
        r = json.loads(e["model_response"])
        self.key = (e["user_query"], e["model_response"], e.get("model"))
        self.query = e["user_query"]
        self.content = content_of(r)
        self.calls = []
        for i, c in enumerate(r.get("tool_calls") or []):
            f = c.get("function") or {}
            self.calls.append({"idx": i, "id": c.get("id") or "call_%d" % (i + 1),
                               "name": f.get("name"), "args": f.get("arguments"),
                               "argv": args_value(f.get("arguments"))})
        self.used = set()
        self.picked = []
        m = self.matching(e)
        if m is not None:
            self.take(m, e)
        else:
            self.calls = []
            self.picked = [({"idx": 0, "id": "call_1", "name": e.get("tool_name"),
                             "args": e.get("arguments")}, e)]

    def matching(self, e):
        ea = args_value(e.get("arguments"))
        for c in self.calls:
            if c["idx"] not in self.used and c["name"] == e.get("tool_name") \
                    and c["argv"] == ea:
                return c
        return None

    def take(self, c, e):
        self.used.add(c["idx"])
        self.picked.append((c, e))

    def write(self, out):
        p = sorted(self.picked, key=lambda ce: ce[0]["idx"])
        msgs = [{"role": "user", "content": self.query},
                {"role": "assistant", "content": self.content,
                 "tool_calls": [{"id": c["id"], "type": "function",
                                 "function": {"name": c["name"], "arguments": c["args"]}}
                                for c, _ in p]}]
        msgs += [{"role": "tool", "tool_call_id": c["id"], "content": tool_content(e)}
                 for c, e in p]
        out.write(json.dumps({"messages": msgs}, ensure_ascii=False,
                             separators=(",", ":")) + "\n")


out = sys.stdout
cur = None
for line in sys.stdin.buffer:
    if not line.strip():
        continue
    e = json.loads(line)
    if not e.get("user_query") or not e.get("model_response"):
        if cur:
            cur.write(out)
        cur = None
        continue
    if cur and cur.key == (e["user_query"], e["model_response"], e.get("model")):
        m = cur.matching(e)
        if m is not None:
            cur.take(m, e)
            continue
    if cur:
        cur.write(out)
    cur = Example(e)
if cur:
    cur.write(out)

#!/usr/bin/env python3
"""A stand-in OpenAI-compatible chat completions endpoint for the tests.

    python3 standin.py [--requests] [--inflight] [--delay S] -- COMMAND ARG...

Serves on 127.0.0.1, on a free port, and runs COMMAND with every "@URL@"
in its arguments replaced by the endpoint's base URL. It answers from a
script keyed by the last user message (SCRIPT below), misbehaving on
purpose; any other query gets the calls "run_commands {"command": QUERY}".
COMMAND's stdout and stderr are passed on with what changes from run to
run masked (latencies, the port); its exit status is this one's (a
signal N as 128 + N). --requests then prints the requests the server
saw, sorted, each with its count; --inflight the most answered at once;
--delay holds every answer S seconds.
"""
import http.server
import json
import os
import re
import socketserver
import subprocess
import sys
import threading
import time


def call(name, args, text=None):
    return {"id": "call_%d" % len(name + json.dumps(args)),
            "type": "function",
            "function": {"name": name,
                         "arguments": text if text is not None else json.dumps(args)}}


def message(calls=None, content=""):
    return {"id": "chatcmpl-1", "object": "chat.completion",
            "choices": [{"index": 0, "finish_reason": "tool_calls" if calls else "stop",
                         "message": {"role": "assistant", "content": content,
                                     **({"tool_calls": calls} if calls else {})}}],
            "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15}}


# query -> list of answers, one per attempt (the last one repeats). An
# answer is ("json", object) | ("status", code, headers, body) | ("slow",
# seconds) | ("drop",) | ("raw", bytes) | ("huge", bytes) | ("chunked",
# bytes), the last two over -L with a Content-Length and without.
SCRIPT = {
    "right": [("json", message([call("run_commands", {"command": "df -h"}),
                                call("run_commands", {"command": "free -m"})]))],
    "order": [("json", message([call("run_commands", {"command": "free -m"}),
                                call("run_commands", {"command": "df -h"})]))],
    "args": [("json", message([call("run_commands", {"command": "ls -la"})]))],
    "tool": [("json", message([call("edit_files", {"path": "a", "diff": "b"})]))],
    "none": [("json", message(None, "I would rather not."))],
    "text": [("json", message(None, '<tool_call>\n{"name": "run_commands", '
                              '"arguments": {"command": "uptime"}}\n</tool_call>'))],
    "badjson": [("json", message([call("run_commands", None, '{"command": "pwd"')]))],
    "flaky": [("status", 500, {}, b'{"error":"overloaded"}'),
              ("json", message([call("run_commands", {"command": "flaky"})]))],
    "busy": [("status", 429, {"Retry-After": "1"}, b'{"error":"slow down"}'),
             ("json", message([call("run_commands", {"command": "busy"})]))],
    "slow": [("slow", 5)],
    "drop": [("drop",)],
    "notjson": [("raw", b"<html>502 Bad Gateway</html>")],
    "huge": [("huge", 2 << 20)],
    "notools": [("json", message([call("run_commands", {"command": "notools"})]))],
    "missing": [("status", 404, {}, b'{"error":{"message":"model not found"}}')],
    "chunked": [("chunked", 2 << 20)],
    "prose": [("json", message(None, 'Let me look.\n<tool_call>\n{"name": "run_commands", '
                               '"arguments": {"command": "ls"}}\n</tool_call>'))],
    "object": [("json", message([{"id": "c", "type": "function", "function": {
        "name": "run_commands", "arguments": {"command": "ls"}}}]))],
    "dupgot": [("json", message([call("run_commands", None,
                                      '{"command": "ls", "command": "dupgot"}')]))],
    "dupnested": [("json", message([call("run_commands", None,
                                         '{"o": {"a": 2}, "command": "dupnested"}')]))],
    "forbidden": [("status", 403, {"Content-Type": "text/plain"},
                   b"\r\n Forbidden: \x1b[31mno\x1b[0m access \"here\"\r\nsecond line\n")],
    "long403": [("status", 403, {"Content-Type": "text/plain"},
                 b"a" * 199 + "\u00e9".encode() + b"b" * 100 + b"\n")],
    "latin1": [("status", 403, {"Content-Type": "text/plain"}, b"caf\xe9 closed\n")],
    "emptybody": [("status", 403, {"Content-Type": "text/plain"}, b" \r\n")],
    "bigint": [("json", message([call("run_commands", None,
                                      '{"command": "bigint", "n": 12345678901234567891}')]))],
    "bigintsame": [("json", message([call("run_commands", None,
                                          '{"n": 1.2345678901234567890e19, "command": "bigintsame"}')]))],
    "callsobject": [("json", message([call("run_commands", {"command": "ls"})])
                     | {"choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
                         "role": "assistant", "content": "",
                         "tool_calls": call("run_commands", {"command": "ls"})}}]})],
    "noname": [("json", message([{"id": "c", "type": "function",
                                  "function": {"arguments": "{}"}}]))],
    "emptyname": [("json", message([call("", {"command": "emptyname"})]))],
    "secondnoname": [("json", message([call("run_commands", {"command": "secondnoname"}),
                                       {"id": "c2", "type": "function"}]))],
    "nullcalls": [("json", message(None, "") | {"choices": [{"index": 0, "message": {
        "role": "assistant", "content": "", "tool_calls": None}}]})],
    "errorbody": [("json", {"error": {"message": "context length exceeded", "code": 400}})],
    # error bodies as servers write them: OpenAI's and llama.cpp's, Ollama's,
    # vLLM's before its ErrorInfo, FastAPI's own (an unknown route, a request
    # it could not validate), one with none of these keys
    "openai": [("status", 400, {"Content-Type": "application/json"},
                b'{"error": {"message": "tools: not supported", "type": "invalid_request_error"}}')],
    "ollama": [("status", 404, {"Content-Type": "application/json"},
                b'{"error":"model \\"qwen\\" not found, try pulling it first"}')],
    "oldvllm": [("status", 400, {"Content-Type": "application/json"},
                 b'{"object":"error","message":"maximum context length is 32768 tokens",'
                 b'"type":"BadRequestError","param":null,"code":400}')],
    "fastapi": [("status", 404, {"Content-Type": "application/json"}, b'{"detail":"Not Found"}')],
    "fastapi422": [("status", 422, {"Content-Type": "application/json"},
                    b'{"detail":[{"type":"missing","loc":["body","messages"],"msg":"Field required"}]}')],
    "nokey": [("status", 409, {"Content-Type": "application/json"}, b'{"ok":false}')],
}

lock = threading.Lock()
attempts = {}
first = {}      # query -> when first asked
requests = []
inflight = [0, 0]   # now, most
delay = 0.0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, body, headers=()):
        headers = dict(headers)
        self.send_response(code)
        self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        with lock:
            inflight[0] += 1
            inflight[1] = max(inflight[1], inflight[0])
        try:
            self.answer(body)
        finally:
            with lock:
                inflight[0] -= 1

    def answer(self, body):
        req = json.loads(body)
        seen = {"path": self.path, "body": req}
        if self.headers.get("Authorization"):
            seen["authorization"] = self.headers["Authorization"]
        query = req["messages"][-1]["content"]
        with lock:
            requests.append(json.dumps(seen, sort_keys=True))
            k = attempts.get(query, 0)
            attempts[query] = k + 1
            # "busy" asked again before its Retry-After: busy again
            now = time.monotonic()
            if query == "busy" and k > 0 and now - first[query] < 0.95:
                k = 0
            first.setdefault(query, now)
        if delay:
            time.sleep(delay)
        steps = SCRIPT.get(query, [("json", message([call("run_commands", {"command": query})]))])
        step = steps[min(k, len(steps) - 1)]
        kind = step[0]
        if kind == "json":
            self.send(200, json.dumps(step[1]).encode())
        elif kind == "status":
            self.send(step[1], step[3], step[2].items())
        elif kind == "slow":
            time.sleep(step[1])
            self.send(200, json.dumps(message(None, "late")).encode())
        elif kind == "drop":
            self.send_response(200)
            self.send_header("Content-Length", "1000")
            self.end_headers()
            self.wfile.write(b'{"choices":')
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
        elif kind == "raw":
            self.send(200, step[1])
        elif kind == "chunked":     # no Content-Length: -L as it comes
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b'10\r\n{"choices":[],"x\r\n')
            piece = b" " * 65536
            for _ in range(step[1] // len(piece)):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        elif kind == "huge":
            pad = b" " * step[1]
            self.send(200, b'{"pad":"' + pad + b'"}')


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64     # -j connections at once, none kept waiting

    def handle_error(self, request, client_address):
        pass    # a client that hangs up (on -L, -W) is part of the script


def main():
    global delay
    argv = sys.argv[1:]
    show_requests = show_inflight = False
    while argv and argv[0] != "--":
        opt = argv.pop(0)
        if opt == "--requests":
            show_requests = True
        elif opt == "--inflight":
            show_inflight = True
        elif opt == "--delay":
            delay = float(argv.pop(0))
        else:
            sys.exit("standin.py: unknown option " + opt)
    argv = argv[1:]
    server = Server(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/v1" % port
    cmd = [a.replace("@URL@", url) for a in argv]
    # straight to the stand-in, whatever proxy the machine has
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    p = subprocess.run(cmd, stdin=sys.stdin, capture_output=True, env=env)

    def mask(b):
        s = b.decode("utf-8", "replace")
        s = re.sub(r'"latency_ms":\d+', '"latency_ms":N', s)
        s = re.sub(r"median \d+ ms, p95 \d+ ms", "median N ms, p95 N ms", s)
        s = re.sub(r"after \d+ ms", "after N ms", s)
        return s.replace(str(port), "PORT")
    sys.stdout.write(mask(p.stdout))
    sys.stderr.write(mask(p.stderr))
    if show_requests:
        counts = {}
        for r in requests:
            counts[r] = counts.get(r, 0) + 1
        print("-- the requests seen")
        for r in sorted(counts):
            print(counts[r], r)
    if show_inflight:
        print("-- most in flight:", inflight[1])
    sys.stdout.flush()
    server.shutdown()
    os._exit(p.returncode if p.returncode >= 0 else 128 - p.returncode)


main()

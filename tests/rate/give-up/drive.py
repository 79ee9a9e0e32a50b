# tclog-rate in a pseudo-terminal (its standard error is this case's):
# two entries rated, then the log is replaced by one that ends in a
# record cut short, which no rewrite completes, and q pressed: after
# waiting, tclog-rate gives up, the log untouched, and appends the two
# ratings to x.log.unsaved-ratings (which holds a line already).
# Prints that file. With "dir": x.log.unsaved-ratings is a directory,
# and the ratings go to standard error after a message that says so
# (case give-up-side-unwritable).
import fcntl, os, pty, select, subprocess, sys, termios, time

def entry(n, cmd):
    return ('{"timestamp":"2025-11-16T10:0%d:00-05:00","model":"m",'
            '"tool_name":"run_commands","arguments":"{\\"command\\":'
            '\\"%s\\"}","status":"success","message":"ok",'
            '"tools_enabled":true}\n' % (n, cmd))

log = entry(1, "ls") + entry(2, "pwd") + entry(3, "date")
with open("x.log", "w") as f:
    f.write(log)
side_dir = sys.argv[1:] == ["dir"]
if side_dir:
    os.mkdir("x.log.unsaved-ratings")
else:
    with open("x.log.unsaved-ratings", "w") as f:
        f.write('{"timestamp":"earlier","rating":1}\n')
os.environ["NO_COLOR"] = "1"
master, slave = pty.openpty()
p = subprocess.Popen(["tclog-rate", "x.log"], stdin=slave, stdout=slave,
                     start_new_session=True,
                     preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0))
os.close(slave)
out = b""

def expect(text):
    global out
    deadline = time.time() + 300
    while text not in out:
        r, _, _ = select.select([master], [], [], 1)
        if time.time() > deadline:
            sys.exit("timed out waiting for %r: %r" % (text, out))
        if r:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                chunk = b""
            if not chunk:
                sys.exit("terminal closed waiting for %r: %r" % (text, out))
            out += chunk
    out = out[out.index(text) + len(text):]

expect(b"? keys: ")
os.write(master, b"4")
expect(b"? keys: ")
os.write(master, b"2")
expect(b"? keys: ")
cut = log + entry(4, "uptime")[:50]
with open("new.log", "w") as f:
    f.write(cut)
os.rename("new.log", "x.log")
os.write(master, b"q")
try:
    while os.read(master, 4096):
        pass
except OSError:
    pass
status = p.wait()
with open("x.log") as f:
    print("log untouched" if f.read() == cut else "log changed")
os.unlink("x.log")
if side_dir:
    os.rmdir("x.log.unsaved-ratings")
else:
    with open("x.log.unsaved-ratings") as f:
        sys.stdout.write(f.read())
    os.unlink("x.log.unsaved-ratings")
sys.exit(status)

# The rating filter as a user would write it with python3's json module:
# keep the lines whose rating is 4 or more, as they are (what
# `tclog-filter -r 4` does; an unrated entry counts as 0).
import json
import sys

out = sys.stdout.buffer
for line in sys.stdin.buffer:
    if not line.strip():
        continue
    try:
        entry = json.loads(line)
    except ValueError as e:
        print("filter.py: %s" % e, file=sys.stderr)
        continue
    if (entry.get("rating") or 0) >= 4:
        out.write(line)

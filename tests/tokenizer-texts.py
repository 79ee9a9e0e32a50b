#!/usr/bin/env python3
"""Texts for tests/tokenizer-exact.test, one JSON string per line.

    tokenizer-texts.py [-n N] [-l BYTES] [file ...]

The tricky strings below (one per case of the Qwen2 split pattern and
of the added tokens, NFC, every script), runs of one character or pair
of about BYTES bytes each (default 100000: one pre-token each, where the
order of equal merges decides), N generated texts (a fixed seed) drawn
from the same pools, and every string value of the JSON lines read from
the files (the shipped log, tclog-qwen -f text).

Left out on purpose: U+0085 and U+FEFF, where the two regular expression
engines disagree on \\s (Oniguruma in the tokenizers library takes
White_Space: U+0085 yes, U+FEFF no; JavaScript the reverse)."""
import json, random, sys

TRICKY = [
    "", "a", " ", "  ", "\n", "\r\n", "\t", "hello world", "Hello World",
    # contractions, any case, and what only looks like one
    "it's", "IT'S", "It'S", "don't DON'T", "we're WE'RE We'Re", "I've I'VE",
    "I'm I'M", "we'll WE'LL We'Ll", "he'd HE'D", "'s's's", "'x 'S 'sam",
    "o'clock", "rock'n'roll", "'re're", "''s", " 's", "'", "'ſ", "'ſam",
    "’s curly", "l'été L'ÉTÉ",
    # letters after one mark of another class
    "(hello)", "[x]", "#tag", "@user", "$HOME", "-flag", "--long-opt",
    "x\ty", "\thello", "\t\thello", " hello", "  hello", "   hello",
    "\u00a0hello", "\u3000日本", "\u2003word", "\u0301word",
    # digits one by one, numbers of every kind
    "12345", "3.14159", "1,000,000", "v2.0.1", "0x1F", "١٢٣ ٤٥٦",
    "१२३", "Ⅻ ⅻ ⅷ", "²³ ½ ¾", "１２３", "①②③", "abc123def",
    # white space runs before a newline, a word, the end
    "a  \n b", "a \n\n  b", "x   ", "x   \n", "   \n\n   y", " \t \n",
    "line1\r\nline2\r\n", "a\r\n\r\nb", "\r\r\n\n", "a\rb", "end.\r\n\r\n",
    "foo\n\n\n", "  \u00a0 x", "\u2028x\u2029y", "a\u000bb\u000cc",
    # punctuation runs with newlines after them
    "!!!\n\n", "?! \n", " ...\r\n", "}}\n}", "=> {", "a->b", "**bold**",
    "====", "=" * 300, "-" * 257, " " * 300, "\n" * 100, "ab" * 200,
    # NFC
    "cafe\u0301", "e\u0301e\u0301", "\u0041\u030a", "\u212b", "\u1e9b\u0323",
    "한국어", "\u1100\u1161\u11a8", "Å", "n\u0303o", "\u00f1o",
    # emoji, ZWJ sequences, flags, modifiers, variation selectors
    "😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇫🇷🇯🇵", "❤️", "☺︎", "1️⃣", "hi😀there",
    "😀😀😀 ok", " 🎉🎉", "🧑🏿‍💻 codes",
    # scripts
    "日本語のテキストです。", "中文文本，标点符号！", "Привет, мир!",
    "Γειά σου Κόσμε", "مرحبا بالعالم", "שלום עולם", "नमस्ते दुनिया",
    "สวัสดีชาวโลก", "ሰላም ልዑል", "Բարեւ աշխարհ", "გამარჯობა",
    "ᏣᎳᎩ", "ꦲꦏ꧀ꦱꦫ", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝟘𝟙𝟚", "ǅungla ǈj", "ʰʲ ˈstress",
    # code and shell
    "def f(x):\n    return x**2\n", "if (a && b) { c(); }\n\t// done",
    "ls -la /tmp | grep -v '^d' > out.txt 2>&1",
    "{\"name\": \"run_commands\", \"arguments\": {\"command\": \"df -h\"}}",
    "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n-old\n+new\n",
    # added tokens, special and not, glued to text
    "<|im_start|>user\nhi<|im_end|>\n", "<|im_start|><|im_end|>",
    "<tool_call>\n{}\n</tool_call>", "x<tool_call>y", " <tool_call> ",
    "<tool_response>\nok\n</tool_response>", "<tool_response", "<|im_start",
    "<think>\n</think>", "<|endoftext|>", "<|fim_prefix|>a<|fim_suffix|>",
    "<<|im_end|>>", "<|im_start|>assistant\n<tool_call>\n",
    "<|vision_start|><|image_pad|><|vision_end|>",
]

POOLS = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789",
    " ", "  ", "\t", "\n", "\r\n", "\r", "'", "'s", "'T", "'Re", "'vE",
    "'M", "'LL", "'d", ".,;:!?-_=+*/\\|()[]{}<>\"#$%&@^`~",
    "éèêëçàâîïôûüÉÀÇœæßÿ", "\u0301\u0300\u0308\u0327", "ſ",
    "日本語中文字漢字", "ひらがなカタカナ", "한국어", "Привет", "Ελληνικά",
    "العربية", "עברית", "हिन्दी", "ไทย", "١٢٣٤", "²³½", "ⅠⅡⅢ",
    "\u00a0", "\u2003", "\u3000", "\u2028", "😀👍🏽🎉", "\u200d", "\ufe0f",
    "🏽", "<|im_start|>", "<|im_end|>", "<tool_call>", "</tool_call>",
    "<tool_response>", "</tool_response>", "<think>", "<|endoftext|>",
]


def generated(n):
    rnd = random.Random(13)
    for _ in range(n):
        parts = []
        for _ in range(rnd.randint(1, 40)):
            pool = rnd.choice(POOLS)
            if pool.startswith("<") and len(pool) > 3 or len(pool) <= 3:
                parts.append(pool * rnd.randint(1, 3))
            else:
                parts.append("".join(rnd.choice(pool)
                                     for _ in range(rnd.randint(1, 8))))
        yield "".join(parts)


def strings(v):
    if isinstance(v, str):
        yield v
        try:
            inner = json.loads(v)
        except ValueError:
            return
        if not isinstance(inner, str):
            yield from strings(inner)
    elif isinstance(v, dict):
        for x in v.values():
            yield from strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)


def main():
    args = sys.argv[1:]
    n, long = 300, 100000
    while args[:1] in (["-n"], ["-l"]):
        if args[0] == "-n":
            n = int(args[1])
        else:
            long = int(args[1])
        args = args[2:]
    out = list(TRICKY) + list(generated(n))
    for c in ["=", "a", " ", "日", "ab", "\n", "1", "-_", "é", "\r\n"]:
        out.append(c * (long // len(c.encode())))
    for path in args:
        with open(path, encoding="utf-8") as f:
            for line in f:
                try:
                    out.extend(strings(json.loads(line)))
                except ValueError:
                    pass
    for s in out:
        print(json.dumps(s, ensure_ascii=False))


main()

"""Input of python_regex_oracle.py for the committed table src/quality/expectations/python-regex.cases.json:
  python3 python_regex_table.py | python3 python_regex_oracle.py > ../../../src/quality/expectations/python-regex.cases.json"""
import sys
import json
patterns = [
  r"^\w+$", r"^\w+\Z", r"\d+", r"^\d+$", r"\s", r"^\S+$", r"\bcat\b", r"\Bat\B", r"\B", r"x$", r"^abc$", r"(?m)^b$", r"(?s)a.c", r"a.c",
  r"(?i)straße", r"(?i)^[a-z]+$", r"(?P<y>\d{2})-(?P=y)", r"(a)(b)?\2", r"a{,2}b", r"[]a]+", r"[^]a]", r"[\W\d]+", r"[^\Wx]+", r"(?>a+)b", r"a*+a", r"a++b",
  r"(?x) a  b  # comment", r"{foo}", r"a{2,3}?", r"[\s-]+", r"\x41\u00e9", r"[\x00-\x1f]", r"\0", r"\101", r"(?a)^\w+$", r"(?a)\d", r"\A\d", r"(?s:.)b", r"^(?:ab|cd)+$",
  r"[\w.-]+@[\w-]+\.\w+", r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", r"(?<=\d)px", r"(?<!\$)\d+", r"\.\*", r"\-\#\ ", r"a|", r"(?#note)ab",
  r"(?>a|ab){2}c", r"(?>\D{1,2}){2}", r"$", r"\Z", r"(a?)*b", r"(?#c)+", r"(a)?(?(1)b|c)", r"\N{EM DASH}", r"(?i:a)b", r"a**", r"*a", r"(?<n>a)", r"\p{L}", r"[z-a]", r"\q", r"(ab", r"ab)",
]
strings = ["abc", "héllo", "héllo\n", "x\n", "x\n\n", "", "a\nb\nc", "a\rc", "a\nc", "STRASSE", "straße", "Straße", "12-12", "12-13", "ab", "abb", "b", "aab", "aaab",
  "]]a", "a b", "a  b", "{foo}", "aaa", " \t", "\u3000x", "\x1c", "\x85", "Aé", "\x00", "\x01", "A", "٣٤", "x1", "cat", "concatenate", "the cat sat", "a_b", "ab", "abcd",
  "x@y.com", "12345678-9abc-def0-1234-56789abcdef0", "10px", "$5 10", ".*", "-# ", "é", "e\u0301", "😀x", "٣{😀{}٣x", "abab c", "\u00b2", "Ⅻ"]
json.dump({"patterns": patterns, "strings": strings}, sys.stdout)

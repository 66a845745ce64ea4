#!/usr/bin/env python3
"""Layering test (STYLE §1, §9): every #include "<folder>/..." in a module must follow the
dependency arrows of DESIGN §2. C++ has no import-cycle check; this is ours.

Prints 'N passed, M failed' and exits non-zero on any violation, naming file, line and include.
"""
import os
import re
import sys

ALLOWED = {
    "util": set(),
    "wal": {"util"},
    "engine": {"wal", "util"},
    "compaction": {"engine", "wal", "util"},
    "query": {"engine", "wal", "util"},
    "server": {"query", "compaction", "engine", "wal", "util"},
    "tools": {"query", "compaction", "engine", "wal", "util"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/')

root = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
checked = 0
violations = []
for module, allowed in ALLOWED.items():
    for dirpath, _, files in os.walk(os.path.join(root, module)):
        for name in sorted(files):
            if not name.endswith((".h", ".cc")):
                continue
            path = os.path.join(dirpath, name)
            checked += 1
            with open(path, encoding="utf-8", errors="replace") as f:
                for line_no, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if m and m.group(1) != module and m.group(1) not in allowed:
                        violations.append(f"{os.path.relpath(path, root)}:{line_no}: {module}/ may not include {m.group(1)}/ ({line.strip()})")
for v in violations:
    print(v)
print(f"{checked - len({v.split(':')[0] for v in violations})} passed, {len({v.split(':')[0] for v in violations})} failed")
sys.exit(1 if violations or checked == 0 else 0)

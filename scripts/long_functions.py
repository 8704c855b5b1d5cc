#!/usr/bin/env python3
"""Lists function bodies longer than a limit (default 80 lines) in the C++ sources of bot/, skills/,
handlers/ and integrations/, so that long functions are split or explained.

A function body starts at a line that opens a brace after a parameter list (not if/for/while/
switch/catch, not a lambda or an initialiser) while no other function body is open; it ends where
that brace closes. A body longer than the limit passes with a comment "long-function: <reason>" on
one of the 5 lines above its first line.
Usage: long_functions.py [--limit N] [ROOT]; prints "path:line: N lines: signature" and exits 1
when an unexplained one is found.
"""
import os
import re
import sys

CONTROL = re.compile(r'^\s*(\}\s*)?(if|for|while|switch|catch|else|do|try)\b')
NOT_FUNCTION = re.compile(r'^\s*(namespace|class|struct|enum|union|extern)\b|=\s*(\[.*)?\{?\s*$|\]\s*(\(|\{)|\breturn\b|=\s*\[')


def strip(raw):
    line = re.sub(r'"(\\.|[^"\\])*"', '""', raw)
    line = re.sub(r"'(\\.|[^'\\])*'", "''", line)
    return line.split('//')[0]


def bodies(lines):
    depth = 0
    fn_depth = None  # depth at which the open function body started
    start = None
    signature = ''
    for i, raw in enumerate(lines):
        line = strip(raw)
        if line.strip().startswith('#'):
            continue
        if fn_depth is None and '{' in line:
            head = (signature + ' ' + line.split('{')[0]).strip()
            if (')' in head and not CONTROL.search(line) and not NOT_FUNCTION.search(head)
                    and not NOT_FUNCTION.search(line)):
                fn_depth = depth
                start = i
        for ch in line:
            if ch == '{':
                depth += 1
            elif ch == '}':
                depth -= 1
                if fn_depth is not None and depth == fn_depth:
                    yield start, i
                    fn_depth = None
        stripped = line.strip()
        if stripped.endswith((';', '{', '}')) or not stripped:
            signature = ''
        else:
            signature = (signature + ' ' + stripped)[-400:]


def main():
    args = sys.argv[1:]
    limit = 80
    if args[:1] == ['--limit']:
        limit = int(args[1])
        args = args[2:]
    root = args[0] if args else '.'
    found = []
    for folder in ('bot', 'skills', 'handlers', 'integrations'):
        for dirpath, _, files in os.walk(os.path.join(root, folder)):
            for name in sorted(files):
                if not name.endswith(('.cpp', '.h')):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding='utf-8', errors='replace') as f:
                    lines = f.read().split('\n')
                for s, e in bodies(lines):
                    n = e - s + 1
                    if n <= limit:
                        continue
                    if 'long-function:' in '\n'.join(lines[max(0, s - 5):s + 1]):
                        continue
                    found.append((n, os.path.relpath(path, root), s + 1, lines[s].strip()[:90]))
    for n, path, line, head in sorted(found, reverse=True):
        print(f'{path}:{line}: {n} lines: {head}')
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())

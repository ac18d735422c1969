#!/usr/bin/env python3
"""docs/CLI.md's table "Exit codes by command" against the golden cases of tests/cli: for each
command, the codes the table lists must be exactly the codes its cases exit with, so every
documented code is exercised and no case exits with an undocumented one.

usage: check_exit_table.py docs/CLI.md tests/cli
"""
import pathlib
import re
import sys

CONTRACT = {0, 1, 2, 3}


def documented(doc_path):
    lines = pathlib.Path(doc_path).read_text(encoding="utf-8").splitlines()
    try:
        start = next(i for i, l in enumerate(lines) if l.strip() == "## Exit codes by command")
    except StopIteration:
        sys.exit(f"{doc_path}: no section '## Exit codes by command'")
    table = {}
    for line in lines[start + 1:]:
        if line.startswith("## "):
            break
        if not line.startswith("|") or set(line) <= set("|-: "):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        name = re.match(r"`([^` ]+)", cells[0])
        if not name:
            continue  # the header row
        codes = {int(c) for c in re.findall(r"\b(\d+)\b", cells[1])}
        table[name.group(1)] = codes
    if not table:
        sys.exit(f"{doc_path}: the exit code table has no rows")
    return table


def exercised(cases_dir):
    seen = {}
    for exit_file in sorted(pathlib.Path(cases_dir).glob("*/*/exit")):
        command = exit_file.parent.parent.name
        seen.setdefault(command, {})
        code = int(exit_file.read_text().strip())
        seen[command].setdefault(code, []).append(exit_file.parent.name)
    return seen


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    table = documented(sys.argv[1])
    seen = exercised(sys.argv[2])
    problems = []
    for command in sorted(set(table) | set(seen)):
        doc_codes = table.get(command)
        cases = seen.get(command, {})
        if doc_codes is None:
            problems.append(f"{command}: has golden cases but no row in the table")
            continue
        if not cases:
            problems.append(f"{command}: in the table but has no golden case")
            continue
        if doc_codes - CONTRACT:
            problems.append(f"{command}: documents codes outside 0-3: {sorted(doc_codes - CONTRACT)}")
        for code in sorted(doc_codes - set(cases)):
            problems.append(f"{command}: exit {code} is documented but no case exercises it")
        for code in sorted(set(cases) - doc_codes):
            problems.append(f"{command}: cases {cases[code]} exit {code}, which is not documented")
        print(f"{command}: " + ", ".join(f"{c} ({len(cases[c])} cases)" for c in sorted(cases)))
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print(f"exit code table matches the golden cases of {len(table)} commands")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Every flag that `az aks CMD --help` (az 2.45 on this machine) lists, and every flag that the
aks-preview extension adds to CMD (aks_preview_flags.txt), is accepted by `gangplank aks CMD`, with
az's short forms, or is refused for a reason that docs/az-compatibility.md lists. Fails on a flag
that is neither. Usage: az_flag_parity_test.py GANGPLANK_BINARY"""
import os
import re
import subprocess
import sys

# The az aks commands gangplank has.
COMMANDS = [
    "create", "update", "show", "list", "delete", "scale", "stop", "start", "get-upgrades",
    "nodepool add", "nodepool update", "nodepool upgrade", "nodepool list", "nodepool show",
    "nodepool scale", "nodepool delete", "nodepool get-upgrades", "wait", "upgrade",
    "nodepool wait", "nodepool stop", "nodepool start", "get-credentials", "rotate-certs",
]
# What az has that is about az itself, not the command (the global arguments are not listed).
AZ_ONLY = set()
FLAG_LINE = re.compile(r"^    (--\S+(?: -{1,2}\S+)*)\s+(?:\[\w+\]\s*)*:")


def az_flags(command):
    text = subprocess.run(["az", "aks", *command.split(), "--help"], capture_output=True,
                          text=True, check=True).stdout
    arguments = text.split("\nArguments\n", 1)[1].split("\nGlobal Arguments\n", 1)[0]
    flags = []
    for line in arguments.splitlines():
        match = FLAG_LINE.match(line)
        if match:
            names = match.group(1).split()
            flags.append(([n for n in names if n.startswith("--")], [n for n in names if not n.startswith("--")]))
    return flags


def preview_flags():
    """command → [(longs, shorts)] from aks_preview_flags.txt."""
    flags = {}
    with open(os.path.join(os.path.dirname(__file__), "aks_preview_flags.txt")) as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            command, long, short = (line.rstrip("\n").split("\t") + [""])[:3]
            flags.setdefault(command, []).append(([long], [short] if short else []))
    return flags


def gangplank_flags(binary, command):
    text = subprocess.run([binary, "aks", *command.split(), "--help"], capture_output=True,
                          text=True, check=True, env={**os.environ, "COLUMNS": "400"}).stdout
    names, refused = set(), {}
    described = {}  # a flag's first name → its description, continuation lines included
    current = None
    for line in text.splitlines():
        match = re.match(r"^  ((?:-{1,2}[a-z0-9-]+,?)+)(.*)$", line)
        if match:
            these = match.group(1).split(",")
            names.update(these)
            current = tuple(these)
            described[current] = match.group(2)
        elif current and line.startswith("      "):
            described[current] += " " + line.strip()
        else:
            current = None
    for these, description in described.items():
        if "[refused here:" in description:
            for name in these:
                refused[name] = description.split("[refused here:", 1)[1].strip()
    return names, refused


def main():
    binary = sys.argv[1]
    docs = open(os.path.join(os.path.dirname(__file__), "..", "..", "docs",
                             "az-compatibility.md")).read()
    gaps, refusals, total = [], 0, 0
    preview = preview_flags()
    unknown = set(preview) - set(COMMANDS) - {"operation-abort", "nodepool operation-abort"}
    assert not unknown, f"aks_preview_flags.txt names commands not checked here: {unknown}"
    for command in COMMANDS + ["operation-abort", "nodepool operation-abort"]:
        names, refused = gangplank_flags(binary, command)
        core = az_flags(command) if command in COMMANDS else []
        for longs, shorts in core + preview.get(command, []):
            total += 1
            for name in longs + shorts:
                if name not in names:
                    gaps.append(f"gangplank aks {command}: az's {name} ({' '.join(longs + shorts)}) is missing")
            for name in longs:
                if name in refused:
                    refusals += 1
                    if f"`{name}`" not in docs:
                        gaps.append(f"gangplank aks {command}: {name} is refused ({refused[name]}) "
                                    "but docs/az-compatibility.md does not list it")
    for gap in gaps:
        print(gap)
    print(f"{total} az and aks-preview flags over {len(COMMANDS) + 2} commands; {refusals} refused with a reason; "
          f"{len(gaps)} gaps")
    return 1 if gaps else 0


if __name__ == "__main__":
    sys.exit(main())

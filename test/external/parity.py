"""Shared by the parity tests: running one command line through az or gangplank, and the verdict."""
import subprocess
import sys


def run(program, line, check=True):
    """Runs `program line` through the shell (the lines are written as a user types them)."""
    done = subprocess.run(f"{program} {line}", shell=True, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise SystemExit(f"FAIL: {program} {line}: exit {done.returncode}\n{done.stderr[-3000:]}")
    return done


def verdict(summary, failures):
    """Prints the summary, and the failures on standard error; the exit code."""
    print(summary)
    if failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    return 0

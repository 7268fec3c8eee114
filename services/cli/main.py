"""`synthmesh`: one command line for the whole mesh.

Each subcommand lives in its own module of this package with two functions: `add_parser(subparsers)` declares
its arguments and `run(args) -> int` executes it (heavy imports stay inside `run`). To add a command, write the
module and list it in COMMANDS.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

COMMANDS = ("up", "status", "exec_cmd", "solve_cmd", "gen_cmd", "eval_cmd")


def parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    root = argparse.ArgumentParser(prog="synthmesh", description="Run, inspect and call the synthmesh services.")
    sub = root.add_subparsers(dest="command", required=True)
    for name in COMMANDS:
        module = importlib.import_module(f"services.cli.{name}")
        command = module.add_parser(sub)
        command.set_defaults(handler=module.run, command_parser=command)
    return root


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `synthmesh` console script."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    args, unknown = parser().parse_known_args(argv)
    if unknown:
        # argparse leaves options no subcommand knows to the top-level parser, whose usage names no option.
        args.command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return int(args.handler(args))


if __name__ == "__main__":
    sys.exit(main())

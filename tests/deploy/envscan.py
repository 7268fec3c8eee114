"""Which environment variables a service reads, found by parsing its import closure with `ast`.

A service's closure starts at `services/<name>/__main__.py` and follows every `services.*` import. In it, every
call `env.text(NAME, ...)`, `env.integer`, `env.number`, `env.flag`, `env.port` and `env.raw` (the typed
reader of services/common/env.py), and every `os.environ.get`/`os.environ[...]`/`os.getenv`, is a read. NAME is
resolved statically: string constants, f-strings, `x.upper()`, conditional expressions, local assignments, loop
targets over module-level tuples (plain, `zip` or `enumerate`), and function parameters through the constant
arguments of every call of that function in the closure (`peer_address(env, "executor")` gives
EXECUTOR_SERVICE_ADDR). Anything it cannot resolve is an error, so a new pattern is never silently skipped.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ENV_METHODS = frozenset({"text", "integer", "number", "flag", "port", "raw"})


class Unresolved(ValueError):
    """A variable name the scanner cannot work out statically."""


@dataclass
class Module:
    """One parsed module of the closure."""

    name: str
    path: Path
    tree: ast.Module
    parents: dict[ast.AST, ast.AST] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for node in ast.walk(self.tree):
            for child in ast.iter_child_nodes(node):
                self.parents[child] = node

    def where(self, node: ast.AST) -> str:
        """`path:line` of a node, for messages."""
        return f"{self.path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"

    def enclosing_function(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        """The innermost function around `node`."""
        current = self.parents.get(node)
        while current is not None:
            if isinstance(current, ast.FunctionDef | ast.AsyncFunctionDef):
                return current
            current = self.parents.get(current)
        return None

    def constant(self, name: str) -> Any:
        """The literal value of a module-level assignment `name = <literal>`; KeyError if there is none."""
        for stmt in self.tree.body:
            if isinstance(stmt, ast.Assign):
                targets, value = stmt.targets, stmt.value
            elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
                targets, value = [stmt.target], stmt.value
            else:
                continue
            if any(isinstance(target, ast.Name) and target.id == name for target in targets):
                return ast.literal_eval(value)
        raise KeyError(name)


def module_file(name: str) -> Path | None:
    """The file of module `name` under the repository (a .py file or a package's __init__.py)."""
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(module: Module) -> Iterable[str]:
    package = module.name if module.path.name == "__init__.py" else module.name.rpartition(".")[0]
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base]) if base else ".".join(anchor)
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_closure(entry: str) -> dict[str, Module]:
    """Every `services.*` module reachable from module `entry`, with the packages that contain them."""
    found: dict[str, Module] = {}
    todo = [entry]
    while todo:
        name = todo.pop()
        if name in found or not name.startswith("services"):
            continue
        path = module_file(name)
        if path is None:
            continue
        module = Module(name, path, ast.parse(path.read_text(), str(path)))
        found[name] = module
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        todo.extend(_imports(module))
    return found


@dataclass(frozen=True)
class Read:
    """One variable read at one place."""

    name: str
    where: str


class Scanner:
    """Resolves the variable names read anywhere in one closure."""

    def __init__(self, modules: dict[str, Module]) -> None:
        self.modules = modules
        self.calls = [(m, n) for m in modules.values() for n in ast.walk(m.tree) if isinstance(n, ast.Call)]
        # A function passed by reference (`run("x", Config.from_env, build)`) is called by whoever receives it.
        self.references = [n for m in modules.values() for n in ast.walk(m.tree)
                           if isinstance(n, ast.Attribute | ast.Name) and isinstance(n.ctx, ast.Load)]
        self.classes = {n.name for m in modules.values() for n in ast.walk(m.tree) if isinstance(n, ast.ClassDef)}

    def reads(self) -> list[Read]:
        """Every read in the closure, skipping functions this closure never calls."""
        found = []
        for module in self.modules.values():
            for node in ast.walk(module.tree):
                if not isinstance(node, ast.Call | ast.Subscript) or (arg := self._read_argument(node)) is None:
                    continue
                function = module.enclosing_function(node)
                if function is not None and not self._called(function, module):
                    continue
                for name in self.values(arg, module):
                    found.append(Read(name, module.where(node)))
        return found

    def _called(self, function: ast.FunctionDef | ast.AsyncFunctionDef, module: Module) -> bool:
        """Whether some call or reference in the closure may reach `function` (by name; `Other.f` does not reach
        `C.f`)."""
        owner = module.parents.get(function)
        owner_class = owner.name if isinstance(owner, ast.ClassDef) else None
        for node in self.references:
            if isinstance(node, ast.Name) and node.id == function.name and owner_class is None:
                return True
            if isinstance(node, ast.Attribute) and node.attr == function.name:
                receiver = node.value
                named_other_class = (isinstance(receiver, ast.Name) and receiver.id in self.classes
                                     and receiver.id != owner_class)
                if not named_other_class:
                    return True
        return False

    @staticmethod
    def _read_argument(node: ast.Call | ast.Subscript) -> ast.expr | None:
        if isinstance(node, ast.Subscript):  # os.environ["NAME"] read (not assigned)
            target = node.value
            is_environ = isinstance(target, ast.Attribute) and target.attr == "environ"
            return node.slice if is_environ and isinstance(node.ctx, ast.Load) else None
        func = node.func
        if not isinstance(func, ast.Attribute) or not node.args:
            return None
        receiver = func.value
        if func.attr in ENV_METHODS and isinstance(receiver, ast.Name) and receiver.id == "env":
            return node.args[0]
        if func.attr == "get" and isinstance(receiver, ast.Attribute) and receiver.attr == "environ":
            return node.args[0]
        if func.attr == "getenv" and isinstance(receiver, ast.Name) and receiver.id == "os":
            return node.args[0]
        return None

    def values(self, expr: ast.expr, module: Module) -> set[str]:
        """Every string `expr` can evaluate to."""
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return {expr.value}
        if isinstance(expr, ast.JoinedStr):
            parts = [self.values(part, module) for part in expr.values]
            return {"".join(combo) for combo in itertools.product(*parts)}
        if isinstance(expr, ast.FormattedValue):
            return self.values(expr.value, module)
        if isinstance(expr, ast.IfExp):
            return self.values(expr.body, module) | self.values(expr.orelse, module)
        if (isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) and not expr.args
                and expr.func.attr in ("upper", "lower")):
            inner = self.values(expr.func.value, module)
            return {v.upper() if expr.func.attr == "upper" else v.lower() for v in inner}
        if isinstance(expr, ast.Name):
            return self._name_values(expr, module)
        raise Unresolved(f"{module.where(expr)}: cannot resolve {ast.unparse(expr)!r}")

    def _name_values(self, name: ast.Name, module: Module) -> set[str]:
        function = module.enclosing_function(name)
        scope: ast.AST = function if function is not None else module.tree
        values: set[str] = set()
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == name.id for t in node.targets):
                values |= self.values(node.value, module)
            elif isinstance(node, ast.For | ast.comprehension) and _binds(node.target, name.id):
                values |= {str(v) for v in self._loop_values(node.target, node.iter, name.id, module)}
        if function is not None and name.id in {a.arg for a in function.args.args + function.args.kwonlyargs}:
            # A parameter takes the values of the calls in this closure; none means the function is never
            # called here, so this service never reads the variable.
            return values | self._argument_values(function, name.id)
        if not values:
            try:
                values = {str(module.constant(name.id))}
            except KeyError:
                raise Unresolved(f"{module.where(name)}: cannot resolve name {name.id!r}") from None
        return values

    def _loop_values(self, target: ast.expr, iterable: ast.expr, name: str, module: Module) -> list[Any]:
        items = self._iterable(iterable, module)
        if isinstance(target, ast.Name):
            return items
        assert isinstance(target, ast.Tuple)
        index = next(i for i, t in enumerate(target.elts) if isinstance(t, ast.Name) and t.id == name)
        return [item[index] for item in items]

    def _iterable(self, expr: ast.expr, module: Module) -> list[Any]:
        if isinstance(expr, ast.Name):
            return list(self._constant(expr.id, module))
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name) and expr.func.id in ("zip", "enumerate"):
            columns = [self._iterable(arg, module) for arg in expr.args]
            return list(zip(*columns, strict=False)) if expr.func.id == "zip" else list(enumerate(columns[0]))
        try:
            return list(ast.literal_eval(expr))
        except ValueError:
            raise Unresolved(f"{module.where(expr)}: cannot iterate {ast.unparse(expr)!r}") from None

    def _constant(self, name: str, module: Module) -> Any:
        try:
            return module.constant(name)
        except KeyError:
            pass
        for node in ast.walk(module.tree):  # `from services.x import NAME`
            if isinstance(node, ast.ImportFrom) and node.module and any(a.name == name for a in node.names):
                source = self.modules.get(node.module)
                if source is not None:
                    return self._constant(name, source)
        raise Unresolved(f"{module.path}: no module-level constant {name!r}")

    def _argument_values(self, function: ast.FunctionDef | ast.AsyncFunctionDef, param: str) -> set[str]:
        positional = [a.arg for a in function.args.args]
        position = positional.index(param) if param in positional else None
        values: set[str] = set()
        for module, node in self.calls:
            callee = node.func.id if isinstance(node.func, ast.Name) else (
                node.func.attr if isinstance(node.func, ast.Attribute) else "")
            if callee != function.name:
                continue
            arg = next((k.value for k in node.keywords if k.arg == param), None)
            if arg is None and position is not None and position < len(node.args):
                arg = node.args[position]
            if arg is not None:
                values |= self.values(arg, module)
        return values


def _binds(target: ast.expr, name: str) -> bool:
    return any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(target))


def built_services() -> list[str]:
    """Services with an entry point (`python -m services.<name>`), the CLI excepted."""
    return sorted(p.parent.name for p in (ROOT / "services").glob("*/__main__.py") if p.parent.name != "cli")


def variables_read(service: str) -> dict[str, list[str]]:
    """Variable name → where it is read, over the service's import closure."""
    scanner = Scanner(import_closure(f"services.{service}.__main__"))
    reads: dict[str, list[str]] = {}
    for read in scanner.reads():
        reads.setdefault(read.name, []).append(read.where)
    return reads

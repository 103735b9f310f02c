"""Reading the Assay Dockerfiles and checking a built binary against them.

Docker does not run on the development machines, so the image checks work
from both ends: the Dockerfiles are parsed (which packages the final stage
installs, which user it runs as...), and the binary that runner-image/build.sh
built here (the builder stage's own command) is inspected with ldd and dpkg:
every shared library it loads must come from a Debian package that the final
stage installs, directly or as a dependency, or that debian:bookworm-slim
already has. Standard library only.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMAGE_DIR = ROOT / "runner-image"
RUNNER_DOCKERFILE = IMAGE_DIR / "Dockerfile"
SERVER_DOCKERFILE = IMAGE_DIR / "server.Dockerfile"
BUILD_SCRIPT = IMAGE_DIR / "build.sh"
HADOLINT_CONFIG = IMAGE_DIR / ".hadolint.yaml"


# --- Dockerfiles -------------------------------------------------------------


@dataclass
class Instruction:
    keyword: str  # upper case: RUN, COPY, ...
    args: str  # the rest, continuation lines joined
    line: int  # where it starts (1-based)


@dataclass
class Stage:
    base: str  # the FROM image as written (may hold ${ARG})
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None


@dataclass
class Dockerfile:
    path: Path
    global_args: dict[str, str | None]  # ARGs before the first FROM, with defaults
    stages: list[Stage]

    @property
    def final(self) -> Stage:
        return self.stages[-1]

    def stage(self, name: str) -> Stage:
        for stage in self.stages:
            if stage.name == name:
                return stage
        raise KeyError(name)

    def resolved_base(self, stage: Stage) -> str:
        """The FROM image with the global ARGs' defaults substituted."""

        def value(match: re.Match[str]) -> str:
            name = match.group(1) or match.group(2)
            default = self.global_args.get(name)
            if default is None:
                raise ValueError(f"{self.path.name}: FROM uses ${name}, which has no default")
            return default

        return re.sub(r"\$\{(\w+)\}|\$(\w+)", value, stage.base)


def logical_lines(text: str) -> list[tuple[int, str]]:
    """Instructions as Docker reads them: comments dropped (also inside a
    continued instruction), lines ending in a backslash joined."""
    out: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if current and stripped.startswith("#"):
            continue
        if not current:
            start = number
        if raw.rstrip().endswith("\\"):
            current.append(raw.rstrip()[:-1])
            continue
        current.append(raw)
        out.append((start, " ".join(part.strip() for part in current if part.strip())))
        current = []
    if current:
        out.append((start, " ".join(part.strip() for part in current if part.strip())))
    return out


def parse_dockerfile(path: Path) -> Dockerfile:
    global_args: dict[str, str | None] = {}
    stages: list[Stage] = []
    for line, text in logical_lines(path.read_text()):
        keyword, _, args = text.partition(" ")
        keyword = keyword.upper()
        args = args.strip()
        if keyword == "FROM":
            words = args.split()
            words = [w for w in words if not w.startswith("--platform")]
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(base=words[0], name=name))
        elif not stages:
            if keyword != "ARG":
                raise ValueError(f"{path.name}:{line}: {keyword} before the first FROM")
            arg_name, eq, default = args.partition("=")
            global_args[arg_name.strip()] = default.strip().strip('"') if eq else None
        else:
            stages[-1].instructions.append(Instruction(keyword, args, line))
    return Dockerfile(path=path, global_args=global_args, stages=stages)


def shell_commands(run: str) -> list[list[str]]:
    """A RUN line's shell commands, split on &&, ||, ; and |, as argv lists.
    Leading VAR=value assignments are dropped."""
    lexer = shlex.shlex(run, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    commands: list[list[str]] = [[]]
    for token in lexer:
        if token and set(token) <= set(";&|"):
            commands.append([])
        else:
            commands[-1].append(token)
    result = []
    for argv in commands:
        while argv and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", argv[0]):
            argv = argv[1:]
        if argv:
            result.append(argv)
    return result


def apt_installs(stage: Stage) -> list[str]:
    """The packages a stage's RUN lines install with apt-get (or apt) install."""
    packages: list[str] = []
    for run in stage.all("RUN"):
        for argv in shell_commands(run.args):
            if argv[0] not in ("apt-get", "apt") or "install" not in argv:
                continue
            for word in argv[argv.index("install") + 1 :]:
                if not word.startswith("-"):
                    packages.append(word.split("=")[0])
    return packages


def labels(stage: Stage) -> dict[str, str]:
    """The stage's LABEL key=value pairs (values unquoted, ${ARG}s left as written)."""
    found: dict[str, str] = {}
    for label in stage.all("LABEL"):
        for word in shlex.split(label.args):
            key, _, value = word.partition("=")
            found[key] = value
    return found


def env(stage: Stage) -> dict[str, str]:
    found: dict[str, str] = {}
    for instruction in stage.all("ENV"):
        for word in shlex.split(instruction.args):
            key, _, value = word.partition("=")
            found[key] = value
    return found


# --- the binary --------------------------------------------------------------


@dataclass
class Library:
    soname: str
    path: str | None  # None: not found


def ldd(binary: Path) -> tuple[str, list[Library]]:
    """ldd's output and the libraries it lists (the vDSO left out)."""
    result = subprocess.run(
        ["ldd", str(binary)], capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"ldd {binary}: {result.stdout}{result.stderr}")
    libraries = []
    for line in result.stdout.splitlines():
        line = line.strip()
        if not line or line.startswith("linux-vdso") or line.startswith("linux-gate"):
            continue
        if "=>" in line:
            soname, _, rest = line.partition("=>")
            rest = rest.strip()
            if rest.startswith("not found"):
                libraries.append(Library(soname.strip(), None))
            else:
                libraries.append(Library(soname.strip(), rest.split(" (")[0].strip()))
        else:  # the dynamic loader: /lib64/ld-linux-x86-64.so.2 (0x...)
            path = line.split(" (")[0].strip()
            libraries.append(Library(os.path.basename(path), path))
    return result.stdout, libraries


def needed(binary: Path) -> tuple[list[str], list[str]]:
    """The binary's own DT_NEEDED entries and its RPATH/RUNPATH folders."""
    out = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True, check=True).stdout
    libs = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", out)
    paths: list[str] = []
    for value in re.findall(r"\((?:RPATH|RUNPATH)\)\s+Library (?:rpath|runpath): \[([^\]]*)\]", out):
        paths += [p for p in value.split(":") if p]
    return libs, paths


SWIFT_RUNTIME = re.compile(
    r"libswift|libFoundation|libFoundationEssentials|libFoundationInternationalization|"
    r"lib_FoundationICU|libFoundationNetworking|libFoundationXML|libdispatch|libBlocksRuntime|"
    r"libXCTest|libTesting|lib_Testing|libicu(uc|i18n|data)swift",
    re.IGNORECASE,
)


def swift_toolchain_root() -> Path | None:
    """The installed toolchain's root (/opt/swift for /opt/swift/usr/bin/swift)."""
    swift = shutil.which("swift")
    if not swift:
        return None
    real = Path(swift).resolve()
    # <root>/usr/bin/swift
    return real.parents[2] if real.parent.name == "bin" and real.parents[1].name == "usr" else real.parent


def _path_spellings(path: str) -> list[str]:
    """A library's path as ldd gives it, resolved, and in its merged-/usr spellings."""
    spellings = []
    for p in (path, os.path.realpath(path)):
        spellings.append(p)
        if p.startswith("/usr/lib/"):
            spellings.append(p[len("/usr") :])
        elif p.startswith("/lib/") or p.startswith("/lib64/"):
            spellings.append("/usr" + p)
    return list(dict.fromkeys(spellings))


def packages_of(paths: list[str]) -> dict[str, str | None]:
    """The Debian package that installed each file (one dpkg -S for all),
    trying the merged-/usr spellings too; None when no package owns it."""
    spellings = {path: _path_spellings(path) for path in paths}
    every = sorted({s for group in spellings.values() for s in group})
    result = subprocess.run(["dpkg", "-S", *every], capture_output=True, text=True, check=False)
    owner: dict[str, str] = {}
    for line in result.stdout.splitlines():
        # "libcurl4:amd64: /usr/lib/x86_64-linux-gnu/libcurl.so.4"
        owners, sep, file = line.rpartition(": ")
        if sep:
            owner.setdefault(file.strip(), owners.split(",")[0].strip().split(":")[0])
    return {path: next((owner[s] for s in group if s in owner), None) for path, group in spellings.items()}


@dataclass
class InstalledPackage:
    name: str
    priority: str
    essential: bool
    depends: set[str]  # Depends and Pre-Depends, every alternative
    provides: set[str]


def _names(relation_field: str) -> set[str]:
    """Package names in a Depends-style field; every alternative counts."""
    names = set()
    for clause in relation_field.split(","):
        for alternative in clause.split("|"):
            name = alternative.strip().split(" ")[0].split(":")[0]
            if name:
                names.add(name)
    return names


def installed_packages() -> dict[str, InstalledPackage]:
    """Every package installed on this machine (a bookworm system), by name."""
    out = subprocess.run(
        [
            "dpkg-query",
            "-W",
            "-f",
            "${Package}\t${Status}\t${Priority}\t${Essential}\t${Depends}\t${Pre-Depends}\t${Provides}\n",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    packages: dict[str, InstalledPackage] = {}
    for line in out.splitlines():
        name, status, priority, essential, depends, predepends, provides = (line.split("\t") + [""] * 7)[:7]
        if not status.endswith(" installed"):
            continue
        package = packages.setdefault(name, InstalledPackage(name, priority, essential == "yes", set(), set()))
        package.depends |= _names(depends) | _names(predepends)
        package.provides |= _names(provides)
    return packages


def dependency_closure(packages: set[str], installed: dict[str, InstalledPackage] | None = None) -> set[str]:
    """The packages plus everything they depend on (Depends, Pre-Depends),
    following the packages installed on this machine. Names they provide are
    kept too, so a dependency on a virtual package is followed either way."""
    installed = installed if installed is not None else installed_packages()
    providers: dict[str, set[str]] = {}
    for package in installed.values():
        for virtual in package.provides:
            providers.setdefault(virtual, set()).add(package.name)
    seen: set[str] = set()
    todo = list(packages)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        package = installed.get(name)
        if package is None:
            todo.extend(providers.get(name, ()))
            continue
        seen |= package.provides
        todo.extend(package.depends)
    return seen


def base_image_packages(installed: dict[str, InstalledPackage] | None = None) -> set[str]:
    """What debian:bookworm-slim holds: the debootstrap minbase set, i.e. every
    package of priority required (or essential) plus apt, as known to this
    machine's dpkg (a bookworm system)."""
    installed = installed if installed is not None else installed_packages()
    return {"apt"} | {p.name for p in installed.values() if p.priority == "required" or p.essential}


@dataclass
class LibraryReport:
    ldd_output: str
    rows: list[tuple[str, str | None, str | None]]  # soname, path, package
    problems: list[str]


def check_libraries(binary: Path, dockerfile: Path) -> LibraryReport:
    """Every library `binary` loads must be a system library that the
    Dockerfile's final stage provides: no Swift runtime, nothing from the
    toolchain, nothing missing, every file owned by a Debian package in the
    dependency closure of the final stage's apt installs and the base image."""
    final = parse_dockerfile(dockerfile).final
    installed = installed_packages()
    allowed = dependency_closure(set(apt_installs(final)) | base_image_packages(installed), installed)
    toolchain = swift_toolchain_root()
    output, libraries = ldd(binary)
    problems: list[str] = []
    rows = []
    owners = packages_of([library.path for library in libraries if library.path])
    for library in libraries:
        if library.path is None:
            problems.append(f"{library.soname}: not found")
            rows.append((library.soname, None, None))
            continue
        if SWIFT_RUNTIME.search(library.soname) or SWIFT_RUNTIME.search(os.path.basename(library.path)):
            problems.append(f"{library.soname}: a Swift runtime library ({library.path})")
        real = os.path.realpath(library.path)
        if toolchain and (real.startswith(str(toolchain) + "/") or library.path.startswith(str(toolchain) + "/")):
            problems.append(f"{library.soname}: loaded from the Swift toolchain ({library.path})")
        package = owners[library.path]
        rows.append((library.soname, library.path, package))
        if package is None:
            problems.append(f"{library.soname}: {library.path} belongs to no Debian package")
        elif package not in allowed:
            problems.append(
                f"{library.soname}: from Debian package {package}, which {dockerfile.name}'s final stage "
                "does not install (add it, or a package that depends on it)"
            )
    own, runpaths = needed(binary)
    for soname in own:
        if SWIFT_RUNTIME.search(soname):
            problems.append(f"NEEDED {soname}: a Swift runtime library")
    for folder in runpaths:
        if toolchain and os.path.realpath(folder).startswith(str(toolchain)):
            problems.append(f"RUNPATH {folder}: points into the Swift toolchain")
    return LibraryReport(output, rows, problems)


def main(argv: list[str]) -> int:
    """python3 Tests/images/imagelib.py BINARY DOCKERFILE: print the library
    report; exit 1 on a problem."""
    if len(argv) != 2:
        print("usage: imagelib.py BINARY DOCKERFILE")
        return 2
    report = check_libraries(Path(argv[0]), Path(argv[1]))
    print(f"ldd {argv[0]}:")
    print(report.ldd_output.rstrip())
    print(f"libraries -> Debian packages (checked against {argv[1]}):")
    for soname, path, package in report.rows:
        print(f"  {soname:<28} {package or '?':<22} {path or 'not found'}")
    for problem in report.problems:
        print(f"PROBLEM: {problem}")
    return 1 if report.problems else 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))

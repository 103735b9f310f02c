"""Every object the Job builder produces (its golden files, which a Swift test
keeps byte-identical to the builder's output) is valid Kubernetes, checked
strictly (unknown fields refused) against the oldest and newest versions
Assay supports."""

import json
import pathlib

import kubernetes_validate
import pytest

GOLDEN = pathlib.Path(__file__).resolve().parents[1] / "AssayKubeTests" / "Fixtures" / "golden"
FILES = sorted(GOLDEN.glob("*.json"))
VERSIONS = ["1.30.0", "1.37.0"]


def test_there_are_golden_objects():
    assert len(FILES) >= 4, FILES


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_golden_object_is_valid_kubernetes(path, version):
    kubernetes_validate.validate(json.loads(path.read_text()), version, strict=True)


@pytest.mark.parametrize("version", VERSIONS)
def test_validation_is_strict_enough_to_catch_a_typo(version):
    job = json.loads((GOLDEN / "default.job.json").read_text())
    job["spec"]["paralelism"] = 2
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(job, version, strict=True)


def test_the_runner_pod_is_locked_down():
    for path in GOLDEN.glob("*.job.json"):
        pod = json.loads(path.read_text())["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["automountServiceAccountToken"] is False
        for container in pod["containers"]:
            sc = container["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False and sc["readOnlyRootFilesystem"] is True
            assert sc["capabilities"]["drop"] == ["ALL"]
            # The runner token only ever comes from the Secret.
            for env in container["env"]:
                if env["name"] == "ASSAY_RUNNER_TOKEN":
                    assert "value" not in env and env["valueFrom"]["secretKeyRef"]["key"] == "token"

"""The Kubernetes executor end to end: a real `assay-server` with
`ASSAY_EXECUTOR=kubernetes` against the test Kubernetes API server
(Tests/kubeapi: TLS with its own CA, bearer tokens, the Role enforced, every
object validated with kubernetes-validate), whose fake kubelet runs the real
`assay-runner` for each pod."""

import functools
import json
import pathlib
import signal
import subprocess
import sys
import time

import pytest

from assay_server import Server
import runner_support

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests" / "kubeapi"))
sys.path.insert(0, str(ROOT / "Tests" / "deploy"))
from kubeapi import KubeTestCluster  # noqa: E402
from kubeapi.rbac import remove_verb  # noqa: E402
from assay_chart import rendered_rbac  # noqa: E402

# The RBAC every test runs under: the helm chart's rendered ServiceAccount, Role and
# RoleBinding for a default install, exactly what a cluster would get.
RBAC = rendered_rbac()

IMAGE = "assay/runner:test"
NAMESPACE = "assay"
KUBECTL = ROOT / ".venv" / "bin" / "kubectl"

TRAIN = """
import json, sys, time, os
x = int(sys.argv[1])
hog = bytearray(int(os.environ.get("ALLOCATE_MB", "0")) * 1024 * 1024)
for i in range(0, len(hog), 4096):
    hog[i] = 1  # touch every page, so it counts as resident
time.sleep(float(os.environ.get("SLEEP", "0")))
print("@assay " + json.dumps({"step": 1, "loss": 1.0 / x}), flush=True)
"""


def declaration(name="k8s", count=6, workers=2, sleep=0.0, **extra):
    d = {
        "name": name,
        "command": ["python3", "train.py", "{x}"],
        "env": {"SLEEP": str(sleep)},
        "parameters": {"x": {"type": "int", "values": list(range(1, count + 1))}},
        "objective": {"metric": "loss", "goal": "minimize"},
        "workers": workers,
        "resources": {"cpu": "250m", "memory": "512Mi"},
    }
    d.update(extra)
    return d


@pytest.fixture
def cluster(tmp_path, runner_bin):
    # The image's entrypoint: assay-runner, as the runner image installs it.
    bin_dir = tmp_path / "image-bin"
    bin_dir.mkdir()
    (bin_dir / "assay-runner").symlink_to(runner_bin.resolve())
    c = KubeTestCluster(tmp_path / "cluster", namespace=NAMESPACE, images={IMAGE: [str(bin_dir / "assay-runner")]},
                        rbac_docs=RBAC)
    c.start()
    yield c
    c.stop()


def kube_server(server_bin, folder, cluster, image=IMAGE, kubeconfig=None, extra=None):
    server = Server(server_bin, folder)
    env = {
        "ASSAY_EXECUTOR": "kubernetes",
        "ASSAY_RUNNER_IMAGE": image,
        "ASSAY_NAMESPACE": NAMESPACE,
        "ASSAY_RUNNER_SERVER_URL": server.url,
        "ASSAY_KUBE_RESYNC_SECONDS": "1",
        "ASSAY_KUBE_IMAGE_PULL_GRACE_SECONDS": "2",
        "ASSAY_LEASE_SECONDS": "4",
        "KUBECONFIG": str(kubeconfig or cluster.write_kubeconfig(folder / "kubeconfig", service_account="assay-server")),
    }
    env.update(extra or {})
    server.extra_env = env
    return server


wait_for = functools.partial(runner_support.wait_for, interval=0.2)  # the test API server is busy enough


def experiment(server, token, eid):
    response = server.request("GET", f"/api/v1/experiments/{eid}", token=token)
    assert response.status == 200, response.body
    return response.json()


def wait_final(server, token, eid, timeout=90, cluster=None):
    try:
        return wait_for(
            lambda: (lambda e: e if e["status"] in ("completed", "failed", "canceled") else None)(experiment(server, token, eid)),
            timeout=timeout, what=f"experiment {eid} to end")
    except AssertionError as error:
        raise AssertionError(f"{error}\n{diagnosis(server, cluster)}") from None


def diagnosis(server, cluster):
    """What a failing test should show: the server's log and the cluster's view."""
    lines = [l for l in server.log.read_text().splitlines() if '"message":"request"' not in l]
    parts = ["--- assay-server log (tail, without request lines) ---", "\n".join(lines[-40:])]
    if cluster is not None:
        for pod in cluster.list("pods"):
            name = pod["metadata"]["name"]
            status = pod.get("status", {})
            parts.append(f"--- pod {name}: {status.get('phase')} {json.dumps(status.get('containerStatuses'))[:1500]}")
            try:
                parts.append(cluster.logs(name)[-3000:])
            except Exception as e:  # noqa: BLE001 - diagnostics only
                parts.append(f"(no log: {e})")
        parts.append("--- kube API server log (tail) ---\n" + cluster.server_log()[-3000:])
    return "\n".join(parts)


def jobs_of(cluster, eid):
    return [j for j in cluster.list("jobs") if j["metadata"]["labels"].get("assay.dev/experiment") == eid]


def pods_of(cluster, eid):
    return cluster.list("pods", label_selector=f"assay.dev/experiment={eid}")


def job_creations(cluster):
    return [r for r in cluster.requests() if r["method"] == "POST" and r["path"].endswith("/jobs") and r["status"] == 201]


def submit(server, token, decl):
    return server.create_experiment(token, decl, files={"train.py": TRAIN})


def test_a_sweep_runs_to_completion_through_one_job_and_real_runners(cluster, server_bin, tmp_path):
    server = kube_server(server_bin, tmp_path / "server", cluster).start()
    try:
        token = server.user_token("ada")
        eid = submit(server, token, declaration(count=6, workers=2))
        done = wait_final(server, token, eid, cluster=cluster)
        assert done["status"] == "completed", done
        assert done["counts"]["succeeded"] == 6

        jobs = jobs_of(cluster, eid)
        assert len(jobs) == 1
        job = jobs[0]
        assert job["spec"]["parallelism"] == 2 and "completions" not in job["spec"] or job["spec"].get("completions") is None
        assert job["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "assay"
        pods = pods_of(cluster, eid)
        assert len(pods) >= 1 and all(p["status"]["phase"] in ("Succeeded", "Running") for p in pods)
        # The Runners exit once the experiment is final, and the Job completes.
        wait_for(lambda: any(c["type"] == "Complete" and c["status"] == "True"
                             for c in (jobs_of(cluster, eid)[0].get("status", {}).get("conditions") or [])),
                 what="the Job to complete")

        # The token travelled in a Secret owned by the Job, never in the Job spec.
        secret_posts = [r for r in cluster.requests() if r["method"] == "POST" and r["path"].endswith("/secrets")]
        assert len(secret_posts) == 1 and secret_posts[0]["status"] == 201
        assert "asr_" not in json.dumps(job)

        trials = server.request("GET", f"/api/v1/experiments/{eid}/trials", token=token).json()
        items = trials["items"] if isinstance(trials, dict) else trials
        assert sorted(int(t["parameters"]["x"]) for t in items) == [1, 2, 3, 4, 5, 6]
        assert all(t["status"] == "succeeded" for t in items), items

        # Real clients read the same objects with the server's own kubeconfig.
        kubeconfig = server.extra_env["KUBECONFIG"]
        out = subprocess.run([str(KUBECTL), "--kubeconfig", kubeconfig, "get", "jobs", "-n", NAMESPACE, "-o", "json"],
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 0, out.stderr
        assert job["metadata"]["name"] in [j["metadata"]["name"] for j in json.loads(out.stdout)["items"]]
    finally:
        server.stop()


def test_an_adaptive_search_runs_the_same_through_runner_pods(cluster, server_bin, tmp_path):
    """TPE in Kubernetes: the searcher lives in the server, on the lease queue, so Runner pods
    run proposed trials (their parameters come in the lease) exactly as local Runners do."""
    server = kube_server(server_bin, tmp_path / "server", cluster).start()
    try:
        token = server.user_token("ada")
        eid = submit(server, token, declaration(
            name="k8s-tpe", workers=2, parameters={"x": {"type": "int", "min": 1, "max": 50}},
            sweep={"strategy": "tpe", "max_trials": 8, "startup_trials": 3, "seed": 5}))
        done = wait_final(server, token, eid, cluster=cluster)
        assert done["status"] == "completed" and done["trials"] == 8, done
        assert len(jobs_of(cluster, eid)) == 1
        items = server.request("GET", f"/api/v1/experiments/{eid}/trials", token=token).json()["items"]
        assert sorted(t["index"] for t in items) == list(range(8))
        for trial in items:
            assert trial["status"] == "succeeded", trial
            x = int(trial["parameters"]["x"])
            # The pod ran the proposed value: the loss it reported is 1/x.
            assert 1 <= x <= 50 and trial["metrics"]["loss"] == pytest.approx(1.0 / x), trial
    finally:
        server.stop()


def test_cancel_deletes_the_job_its_pods_and_their_processes(cluster, server_bin, tmp_path):
    server = kube_server(server_bin, tmp_path / "server", cluster).start()
    try:
        token = server.user_token("ada")
        eid = submit(server, token, declaration(count=4, workers=2, sleep=60))
        wait_for(lambda: experiment(server, token, eid)["counts"]["running"] >= 1, what="a trial to run")
        pods = pods_of(cluster, eid)
        assert pods
        canceled = server.request("POST", f"/api/v1/experiments/{eid}/cancel", token=token)
        assert canceled.status == 200, canceled.body
        wait_for(lambda: not jobs_of(cluster, eid), what="the Job to be deleted")
        wait_for(lambda: not pods_of(cluster, eid), timeout=30, what="its pods to be deleted")
        deletes = [r for r in cluster.requests() if r["method"] == "DELETE" and "/jobs/" in r["path"]]
        assert deletes and all(r["status"] in (200, 202, 404) for r in deletes)
    finally:
        server.stop()


def test_a_server_killed_mid_sweep_reconciles_without_a_duplicate_job(cluster, server_bin, tmp_path):
    server = kube_server(server_bin, tmp_path / "server", cluster).start()
    try:
        token = server.user_token("ada")
        eid = submit(server, token, declaration(count=8, workers=2, sleep=0.5))
        wait_for(lambda: experiment(server, token, eid)["counts"]["succeeded"] >= 1, what="a first trial")
        server.stop(signal.SIGKILL)
        server.start()
        done = wait_final(server, token, eid, cluster=cluster)
        assert done["status"] == "completed" and done["counts"]["succeeded"] == 8, done
        assert len(job_creations(cluster)) == 1, job_creations(cluster)
        assert len(jobs_of(cluster, eid)) == 1
    finally:
        server.stop()


def test_an_orphan_job_is_deleted(cluster, server_bin, tmp_path):
    orphan = {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "assay-orphan", "namespace": NAMESPACE,
                     "labels": {"app.kubernetes.io/managed-by": "assay", "assay.dev/experiment": "01kgone0000000000000000000"}},
        "spec": {"parallelism": 1, "backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": [
            {"name": "runner", "image": "busybox:none", "command": ["sleep", "600"]}]}}},
    }
    cluster.create("jobs", orphan)
    server = kube_server(server_bin, tmp_path / "server", cluster).start()
    try:
        wait_for(lambda: not [j for j in cluster.list("jobs") if j["metadata"]["name"] == "assay-orphan"], what="the orphan to go")
    finally:
        server.stop()


def test_an_unpullable_image_fails_the_experiment_with_ImagePullBackOff(cluster, server_bin, tmp_path):
    server = kube_server(server_bin, tmp_path / "server", cluster, image="registry.invalid/assay-runner:nope").start()
    try:
        token = server.user_token("ada")
        eid = submit(server, token, declaration(count=2, workers=1))
        done = wait_final(server, token, eid, cluster=cluster)
        assert done["status"] == "failed"
        assert done["reason"].startswith("ImagePullBackOff"), done["reason"]
        assert "registry.invalid/assay-runner:nope" in done["reason"]
        wait_for(lambda: not jobs_of(cluster, eid), what="the Job to be deleted")
    finally:
        server.stop()


def test_runner_pods_killed_for_memory_fail_the_experiment_with_OOMKilled(cluster, server_bin, tmp_path):
    server = kube_server(server_bin, tmp_path / "server", cluster, extra={"ASSAY_RUNNER_BACKOFF_LIMIT": "1"}).start()
    try:
        token = server.user_token("ada")
        decl = declaration(count=2, workers=1)
        decl["env"]["ALLOCATE_MB"] = "300"
        decl["resources"]["memory"] = "128Mi"
        eid = submit(server, token, decl)
        done = wait_final(server, token, eid, cluster=cluster)
        assert done["status"] == "failed"
        assert done["reason"].startswith("OOMKilled: runner pod"), done["reason"]
        assert "BackoffLimitExceeded: 2 runner pods failed" in done["reason"], done["reason"]
    finally:
        server.stop()


def test_the_declarations_deadline_stops_the_job_and_fails_the_experiment(cluster, server_bin, tmp_path):
    server = kube_server(server_bin, tmp_path / "server", cluster).start()
    try:
        token = server.user_token("ada")
        eid = submit(server, token, declaration(count=4, workers=1, sleep=60, deadline="3s"))
        wait_for(lambda: jobs_of(cluster, eid), what="the Job")
        assert jobs_of(cluster, eid)[0]["spec"]["activeDeadlineSeconds"] <= 3
        done = wait_final(server, token, eid, cluster=cluster)
        assert done["status"] == "failed"
        assert done["reason"].startswith("DeadlineExceeded: "), done["reason"]
        wait_for(lambda: not pods_of(cluster, eid) or all(p["status"]["phase"] != "Running" for p in pods_of(cluster, eid)),
                 timeout=30, what="the Runner pods to stop")
    finally:
        server.stop()


def test_dropped_watches_and_410_gone_are_survived(cluster, server_bin, tmp_path):
    server = kube_server(server_bin, tmp_path / "server", cluster).start()
    try:
        token = server.user_token("ada")
        eid = submit(server, token, declaration(count=8, workers=2, sleep=0.4))
        wait_for(lambda: experiment(server, token, eid)["counts"]["succeeded"] >= 1, what="a first trial")
        cluster.faults.drop_watches()
        time.sleep(0.5)
        cluster.faults.compact()
        cluster.faults.drop_watches()
        done = wait_final(server, token, eid, cluster=cluster)
        assert done["status"] == "completed" and done["counts"]["succeeded"] == 8, done
        # The executor listed again after the 410 and still sees the Job complete.
        lists = [r for r in cluster.requests() if r["method"] == "GET" and r["path"].endswith("/jobs") and "watch" not in r["query"]]
        assert len(lists) >= 2, lists
        assert len(job_creations(cluster)) == 1
    finally:
        server.stop()


def test_api_server_errors_for_a_while_lose_nothing(cluster, server_bin, tmp_path):
    server = kube_server(server_bin, tmp_path / "server", cluster).start()
    try:
        token = server.user_token("ada")
        # 10 s of 500s before the Job exists, then 10 s of them in the middle of a sweep.
        cluster.faults.error(500, seconds=10)
        eid = submit(server, token, declaration(count=4, workers=2))
        done = wait_final(server, token, eid, cluster=cluster)
        assert done["status"] == "completed" and done["counts"]["succeeded"] == 4, done
        assert len(jobs_of(cluster, eid)) == 1
        second = submit(server, token, declaration(name="k8s-mid", count=6, workers=2, sleep=1.0))
        wait_for(lambda: experiment(server, token, second)["counts"]["succeeded"] >= 1, what="a finished trial")
        cluster.faults.error(500, seconds=10)
        done = wait_final(server, token, second, timeout=120, cluster=cluster)
        assert done["status"] == "completed" and done["counts"]["succeeded"] == 6, done
        items = server.request("GET", f"/api/v1/experiments/{second}/trials", token=token).json()["items"]
        assert sorted(t["index"] for t in items) == list(range(6))
        assert all(sum(1 for a in t["attempts"] if a["status"] == "succeeded") == 1 for t in items), items
        assert len(jobs_of(cluster, second)) == 1
    finally:
        server.stop()


@pytest.mark.parametrize("broken", ["ca", "token"])
def test_a_wrong_ca_or_token_stops_the_server_with_a_clear_error_and_creates_nothing(cluster, server_bin, tmp_path, broken):
    import trustme
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig", service_account="assay-server")
    text = kubeconfig.read_text()
    if broken == "ca":
        other = tmp_path / "other-ca.pem"
        trustme.CA().cert_pem.write_to_path(str(other))
        import yaml
        doc = yaml.safe_load(text)
        cluster_entry = doc["clusters"][0]["cluster"]
        cluster_entry.pop("certificate-authority-data", None)
        cluster_entry["certificate-authority"] = str(other)
        kubeconfig.write_text(yaml.safe_dump(doc))
    else:
        import yaml
        doc = yaml.safe_load(text)
        doc["users"][0]["user"]["token"] = "not-a-valid-token"
        kubeconfig.write_text(yaml.safe_dump(doc))
    server = kube_server(server_bin, tmp_path / "server", cluster, kubeconfig=kubeconfig)
    with pytest.raises(RuntimeError) as failure:
        server.start()
    message = str(failure.value)
    if broken == "ca":
        assert "cannot verify the TLS certificate of the Kubernetes API server" in message, message
    else:
        assert "401" in message or "Unauthorized" in message, message
    assert "not-a-valid-token" not in message
    assert not [r for r in cluster.requests() if r["method"] == "POST"]
    assert cluster.list("jobs") == [] and cluster.list("secrets") == []


def test_the_chart_grants_the_roles_verbs_and_nothing_cluster_wide():
    kinds = {d["kind"] for d in RBAC}
    assert "ClusterRole" not in kinds and "ClusterRoleBinding" not in kinds
    role = next(d for d in RBAC if d["kind"] == "Role")
    granted = {(res, verb) for rule in role["rules"] for res in rule["resources"] for verb in rule["verbs"]}
    assert granted == set(ROLE_VERBS)


def test_actions_outside_the_role_are_refused(cluster):
    from kubernetes import client, config
    from kubernetes.client.rest import ApiException

    kubeconfig = cluster.write_kubeconfig(cluster.workdir / "sa-kubeconfig", service_account="assay-server")
    api = config.new_client_from_config(str(kubeconfig))
    core, batch = client.CoreV1Api(api), client.BatchV1Api(api)
    # Inside the Role: reading Jobs and pods.
    batch.list_namespaced_job(NAMESPACE)
    core.list_namespaced_pod(NAMESPACE)
    # Outside it: reading Secrets, making or deleting pods, changing Jobs, anything in another namespace.
    for call in (lambda: core.list_namespaced_secret(NAMESPACE),
                 lambda: core.create_namespaced_pod(NAMESPACE, {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},
                                                               "spec": {"containers": [{"name": "c", "image": "i"}]}}),
                 lambda: batch.list_namespaced_job("kube-system"),
                 lambda: core.delete_namespaced_pod("x", NAMESPACE),
                 lambda: batch.patch_namespaced_job("x", NAMESPACE, {"spec": {"parallelism": 9}})):
        with pytest.raises(ApiException) as refused:
            call()
        assert refused.value.status == 403


def test_a_role_without_job_creation_fails_the_experiment_with_the_api_servers_reason(tmp_path, runner_bin, server_bin):
    c = KubeTestCluster(tmp_path / "cluster", namespace=NAMESPACE, images={IMAGE: [str(runner_bin)]},
                        rbac_docs=remove_verb(RBAC, "create", "jobs")).start()
    server = kube_server(server_bin, tmp_path / "server", c).start()
    try:
        token = server.user_token("ada")
        eid = submit(server, token, declaration(count=2, workers=1))
        done = wait_final(server, token, eid, cluster=c)
        assert done["status"] == "failed"
        assert done["reason"].startswith("JobCreateFailed: could not create its Runner Job"), done["reason"]
        assert "Forbidden" in done["reason"] and 'cannot create resource "jobs"' in done["reason"], done["reason"]
        assert c.list("jobs") == [] and c.list("secrets") == []
    finally:
        server.stop()
        c.stop()


# Every verb of the Role, and a scenario that needs each: a Runner that fails
# (its log is read; its Job and pods are read again before the experiment is
# failed) and a canceled experiment (its Job and Secret are deleted).
ROLE_VERBS = [("jobs", v) for v in ("create", "get", "list", "watch", "delete")] + \
             [("pods", v) for v in ("get", "list", "watch")] + [("pods/log", "get")] + \
             [("secrets", v) for v in ("create", "delete")]


def role_scenario(tmp_path, runner_bin, server_bin, rbac_docs, refused=None):
    """Runs the scenario; returns the requests the server's service account made.
    With `refused` (resource, verb), it stops as soon as that request met a 403."""
    failing = tmp_path / "image-bin" / "failing-runner"
    failing.parent.mkdir(parents=True, exist_ok=True)
    failing.write_text("#!/bin/sh\necho 'runner: cannot reach the server' >&2\nexit 3\n")
    failing.chmod(0o755)
    c = KubeTestCluster(tmp_path / "cluster", namespace=NAMESPACE, rbac_docs=rbac_docs,
                        images={IMAGE: [str(failing)]}, pod_failure_backoff_seconds=1.0).start()
    server = kube_server(server_bin, tmp_path / "server", c, extra={"ASSAY_RUNNER_BACKOFF_LIMIT": "1"})

    def made():
        return [r for r in c.requests() if r.get("user", "").startswith("system:serviceaccount")]

    def seen_refusal():
        return refused is not None and any(
            r["status"] == 403 and (r["resource"], r["verb"]) == refused for r in made())

    try:
        try:
            server.start()
        except RuntimeError:
            return made()
        token = server.user_token("ada")
        broken = submit(server, token, declaration(count=1, workers=1))
        try:
            wait_for(lambda: seen_refusal() or experiment(server, token, broken)["status"] == "failed",
                     timeout=20, what="the failure")
        except AssertionError:
            pass  # without a verb it may never be noticed; the 403s tell
        if seen_refusal():
            return made()
        canceled = submit(server, token, declaration(count=1, workers=1))
        try:
            wait_for(lambda: seen_refusal() or jobs_of(c, canceled), timeout=10, what="the second Job")
        except AssertionError:
            pass
        server.request("POST", f"/api/v1/experiments/{canceled}/cancel", token=token)
        try:
            wait_for(lambda: seen_refusal() or (not jobs_of(c, canceled) and not [
                s for s in c.list("secrets") if canceled in s["metadata"]["name"]]), timeout=10, what="the cancel")
        except AssertionError:
            pass
        return made()
    finally:
        server.stop()
        c.stop()


def test_the_role_is_sufficient(tmp_path, runner_bin, server_bin):
    made = role_scenario(tmp_path, runner_bin, server_bin, RBAC)
    refused = [r for r in made if r["status"] == 403]
    assert not refused, refused
    used = {(r["resource"], r["verb"]) for r in made}
    assert used == set(ROLE_VERBS), f"used {sorted(used)}, the Role grants {sorted(ROLE_VERBS)}"


@pytest.mark.parametrize("resource,verb", ROLE_VERBS, ids=lambda x: x)
def test_the_role_is_minimal(tmp_path, runner_bin, server_bin, resource, verb):
    made = role_scenario(tmp_path, runner_bin, server_bin, remove_verb(RBAC, verb, resource),
                         refused=(resource, verb))
    assert any(r["status"] == 403 and r["resource"] == resource and r["verb"] == verb for r in made), \
        f"without {verb} on {resource} the executor never needed it: {[(r['resource'], r['verb'], r['status']) for r in made]}"

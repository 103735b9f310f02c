"""The test Kubernetes API server behaves like a real one where Assay (and real
clients: kubectl, the official Python client) can tell."""

from __future__ import annotations

import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path

import pytest
import trustme

from kubeapi import DEFAULT_RBAC, KubeTestCluster, load_docs, remove_verb
from kubeapi.selection import FieldSelector, LabelSelector

ROOT = Path(__file__).resolve().parents[2]
KUBECTL = ROOT / ".venv" / "bin" / "kubectl"
NS = "assay"
SH = "test/sh:1"
PY = "test/py:1"


# ---- helpers --------------------------------------------------------------------------

def job(name, script, parallelism=1, backoff=0, image=SH, **spec):
    container = {"name": "main", "image": image, "args": [script]}
    container.update(spec.pop("container", {}))
    pod = {"restartPolicy": "Never", "containers": [container]}
    pod.update(spec.pop("pod", {}))
    body = {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "labels": {"app.kubernetes.io/managed-by": "assay", "test": name}},
            "spec": {"parallelism": parallelism, "backoffLimit": backoff,
                     "template": {"metadata": {"labels": {"test": name}}, "spec": pod}}}
    body["spec"].update(spec)
    return body


def pod(name, script, image=SH, **spec):
    container = {"name": "main", "image": image, "args": [script]}
    container.update(spec.pop("container", {}))
    body = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
            "spec": {"restartPolicy": "Never", "containers": [container]}}
    body["spec"].update(spec)
    return body


def condition(obj, type_):
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c["type"] == type_ and c["status"] == "True":
            return c
    return None


def wait_job(cluster, name, type_, timeout=10):
    return cluster.wait_for(lambda: condition(cluster.get("jobs", name) or {}, type_) and cluster.get("jobs", name),
                            timeout, message=f"job {name} never got {type_}: {cluster.get('jobs', name)}")


def job_pods(cluster, name):
    return cluster.list("pods", label_selector=f"batch.kubernetes.io/job-name={name}")


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie of ours is gone for the purposes here
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


class Stream:
    """A raw watch (or other streaming GET), read line by line."""

    def __init__(self, cluster, path, token=None, timeout=5.0, headers=None):
        ctx = ssl.create_default_context(cafile=cluster.ca_file)
        self.conn = http.client.HTTPSConnection("127.0.0.1", cluster.port, context=ctx, timeout=timeout)
        hdrs = {"Authorization": f"Bearer {token or cluster.admin_token}"}
        hdrs.update(headers or {})
        self.conn.request("GET", path, headers=hdrs)
        self.resp = self.conn.getresponse()

    def next(self):
        line = self.resp.readline()
        return json.loads(line) if line else None

    def events(self, n=None):
        out = []
        while n is None or len(out) < n:
            ev = self.next()
            if ev is None:
                break
            out.append(ev)
        return out

    def close(self):
        self.conn.close()


def watch_path(cluster, resource, **query):
    q = {"watch": "true", **{k: v for k, v in query.items() if v is not None}}
    return cluster.path(resource) + "?" + "&".join(f"{k}={v}" for k, v in q.items())


# ---- fixtures ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    c = KubeTestCluster(
        tmp_path_factory.mktemp("shared"),
        images={SH: ["/bin/sh", "-c"], PY: [sys.executable, "-c"]},
        node_gpus=1, bookmark_interval=0.3, max_grace_seconds=2, image_pull_backoff_seconds=0.3,
        restart_backoff_seconds=0.2,
        env={"KUBEAPI_TEST_LEAK": "must-not-reach-pods"})
    c.start()
    yield c
    c.stop()


@pytest.fixture
def sa_token(cluster):
    return cluster.token("assay-server")


# ---- selectors (no server) ----------------------------------------------------------------

@pytest.mark.parametrize("selector,labels,match", [
    ("a=b", {"a": "b"}, True),
    ("a==b", {"a": "b"}, True),
    ("a=b", {"a": "c"}, False),
    ("a!=b", {}, True),
    ("a!=b", {"a": "b"}, False),
    ("a", {"a": ""}, True),
    ("!a", {"a": "x"}, False),
    ("!a", {"b": "x"}, True),
    ("a in (x, y)", {"a": "y"}, True),
    ("a in (x,y)", {}, False),
    ("a notin (x,y)", {}, True),
    ("a notin (x,y)", {"a": "x"}, False),
    ("a=b,c in (d),!e", {"a": "b", "c": "d"}, True),
    ("a=b,c in (d),!e", {"a": "b", "c": "d", "e": "1"}, False),
    ("app.kubernetes.io/managed-by=assay", {"app.kubernetes.io/managed-by": "assay"}, True),
    ("n>3", {"n": "4"}, True),
    ("", {"x": "y"}, True),
])
def test_label_selectors(selector, labels, match):
    assert LabelSelector.parse(selector).matches(labels) is match


def test_bad_selectors_are_400():
    for text in ("a in x", "=b", "a=b,,"):
        with pytest.raises(Exception) as e:
            LabelSelector.parse(text)
        assert getattr(e.value, "code", None) == 400
    assert FieldSelector.parse("metadata.name=x", "jobs").matches({"metadata": {"name": "x"}})
    with pytest.raises(Exception):
        FieldSelector.parse("spec.foo=1", "jobs")


# ---- CRUD, Status shapes, validation -------------------------------------------------------

def test_crud_and_status_shapes(cluster):
    s = cluster.create("secrets", {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "crud"},
                                   "stringData": {"token": "hunter2"}, "data": {"b": "Yg=="}})
    meta = s["metadata"]
    assert meta["namespace"] == NS and meta["uid"] and meta["resourceVersion"].isdigit()
    assert meta["creationTimestamp"].endswith("Z") and meta["generation"] == 1
    assert s["data"] == {"b": "Yg==", "token": "aHVudGVyMg=="} and "stringData" not in s
    assert s["type"] == "Opaque"
    assert "stringData" not in cluster.get("secrets", "crud")

    status, body = cluster.request("POST", cluster.path("secrets"), {"metadata": {"name": "crud"}})
    assert status == 409
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": 'secrets "crud" already exists', "reason": "AlreadyExists",
                    "details": {"name": "crud", "kind": "secrets"}, "code": 409}

    status, body = cluster.request("GET", cluster.path("jobs", "nope"))
    assert status == 404
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": 'jobs.batch "nope" not found', "reason": "NotFound",
                    "details": {"name": "nope", "group": "batch", "kind": "jobs"}, "code": 404}

    gen = cluster.create("secrets", {"metadata": {"generateName": "gen-"}, "data": {}})
    assert gen["metadata"]["name"].startswith("gen-") and len(gen["metadata"]["name"]) == 9

    deleted = cluster.delete("secrets", "crud")
    assert deleted["status"] == "Success" and deleted["details"]["uid"] == meta["uid"]
    assert cluster.get("secrets", "crud") is None
    status, body = cluster.request("DELETE", cluster.path("secrets", "crud"))
    assert status == 404 and body["reason"] == "NotFound"

    status, body = cluster.request("POST", cluster.path("secrets", namespace="nowhere"), {"metadata": {"name": "x"}})
    assert status == 404 and body["message"] == 'namespaces "nowhere" not found'
    status, body = cluster.request("POST", cluster.path("secrets", "x"), {})
    assert status == 405 and body["reason"] == "MethodNotAllowed"
    status, body = cluster.request("GET", "/api/v1/namespaces/assay/configmaps")
    assert status == 404 and body["kind"] == "Status"


def test_strict_validation_rejects_unknown_field(cluster):
    body = job("invalid-field", "true")
    body["spec"]["foo"] = 1
    body["spec"]["template"]["spec"]["containers"][0]["colour"] = "red"
    status, out = cluster.request("POST", cluster.path("jobs"), body)
    assert status == 422
    assert out["reason"] == "Invalid" and out["code"] == 422 and out["status"] == "Failure"
    assert out["details"]["name"] == "invalid-field" and out["details"]["kind"] == "Job"
    assert out["details"]["group"] == "batch"
    fields = {c["field"] for c in out["details"]["causes"]}
    assert fields == {"spec.foo", "spec.template.spec.containers[0].colour"}
    assert out["message"].startswith('Job.batch "invalid-field" is invalid: [')
    assert 'unknown field "spec.foo"' in out["message"] and "1.30, 1.37" in out["message"]
    assert cluster.get("jobs", "invalid-field") is None


def test_validation_per_version_and_semantics(cluster):
    # a field 1.37 knows and 1.30 does not is rejected (the server validates against both)
    body = job("too-new", "true", pod={"hostnameOverride": "h"})   # PodSpec field new since 1.30
    status, out = cluster.request("POST", cluster.path("jobs"), body)
    assert status == 422 and out["details"]["causes"][0]["field"] == "spec.template.spec.hostnameOverride"
    assert "Kubernetes 1.30" in out["message"] and "1.37" not in out["message"]

    status, out = cluster.request("POST", cluster.path("jobs"), job("bad-restart", "true", pod={"restartPolicy": "Always"}))
    assert status == 422
    assert out["message"] == ('Job.batch "bad-restart" is invalid: spec.template.spec.restartPolicy: Unsupported '
                              'value: "Always": supported values: "OnFailure", "Never"')

    status, out = cluster.request("POST", cluster.path("jobs"), job("Bad_Name", "true"))
    assert status == 422 and out["details"]["causes"][0]["field"] == "metadata.name"

    body = job("bad-quantity", "true", container={"resources": {"limits": {"memory": "lots"}}})
    status, out = cluster.request("POST", cluster.path("jobs"), body)
    assert status == 422 and "resources.limits[memory]" in out["message"]

    status, out = cluster.request("POST", cluster.path("pods"), pod("no-image", "true", container={"image": ""}))
    assert status == 422 and out["details"]["causes"][0] == {
        "reason": "FieldValueRequired", "message": "Required value", "field": "spec.containers[0].image"}

    status, out = cluster.request("POST", cluster.path("jobs"), {**job("ns-mismatch", "true"),
                                                                 "metadata": {"name": "x", "namespace": "default"}})
    assert status == 400 and out["reason"] == "BadRequest"


def test_job_defaults(cluster):
    j = cluster.create("jobs", job("defaults", "true"))
    uid = j["metadata"]["uid"]
    spec = j["spec"]
    assert spec["completionMode"] == "NonIndexed" and spec["suspend"] is False
    assert "completions" not in spec
    assert spec["selector"] == {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
    labels = spec["template"]["metadata"]["labels"]
    assert labels["batch.kubernetes.io/controller-uid"] == uid == labels["controller-uid"]
    assert labels["batch.kubernetes.io/job-name"] == "defaults" == labels["job-name"]
    assert spec["template"]["spec"]["terminationGracePeriodSeconds"] == 30
    wait_job(cluster, "defaults", "Complete")
    (p,) = job_pods(cluster, "defaults")
    assert p["metadata"]["name"].startswith("defaults-") and len(p["metadata"]["name"]) == len("defaults-") + 5
    assert p["metadata"]["ownerReferences"] == [{"apiVersion": "batch/v1", "kind": "Job", "name": "defaults",
                                                 "uid": uid, "controller": True, "blockOwnerDeletion": True}]
    assert p["spec"]["nodeName"] == "fake-node" and p["metadata"]["labels"]["test"] == "defaults"
    cluster.delete("jobs", "defaults", propagation="Background")


def test_list_selectors_and_pagination(cluster):
    for i in range(5):
        cluster.create("secrets", {"metadata": {"name": f"page-{i}", "labels": {"page": "yes", "i": str(i)}}})
    items = cluster.list("secrets", label_selector="page=yes,i in (1,3)")
    assert [s["metadata"]["name"] for s in items] == ["page-1", "page-3"]
    assert "kind" not in items[0]      # typed list items carry no kind, as from a real server
    assert [s["metadata"]["name"] for s in cluster.list("secrets", label_selector="page,i notin (0,1,2)")] == \
        ["page-3", "page-4"]
    assert [s["metadata"]["name"] for s in cluster.list("secrets", field_selector="metadata.name=page-2")] == ["page-2"]

    names, token = [], None
    while True:
        out = cluster.api("GET", cluster.path("secrets"), query={"labelSelector": "page=yes", "limit": 2,
                                                                  "continue": token})
        names += [s["metadata"]["name"] for s in out["items"]]
        assert out["kind"] == "SecretList" and out["metadata"]["resourceVersion"].isdigit()
        token = out["metadata"].get("continue")
        if not token:
            break
        assert out["metadata"]["remainingItemCount"] > 0
    assert names == [f"page-{i}" for i in range(5)]
    status, out = cluster.request("GET", cluster.path("secrets") + "?labelSelector=a+in+x")
    assert status == 400 and out["reason"] == "BadRequest"
    out = cluster.api("DELETE", cluster.path("secrets"), query={"labelSelector": "page=yes"})
    assert out["kind"] == "SecretList" and len(out["items"]) == 5 and not cluster.list("secrets", label_selector="page")


# ---- watches ---------------------------------------------------------------------------------

def test_watch_initial_state_then_live_and_replay(cluster):
    a = cluster.create("secrets", {"metadata": {"name": "w-a", "labels": {"w": "1"}}})
    rv_a = a["metadata"]["resourceVersion"]
    w = Stream(cluster, watch_path(cluster, "secrets", labelSelector="w%3D1"))
    assert w.resp.status == 200 and w.resp.getheader("Transfer-Encoding") == "chunked"
    first = w.next()
    assert first["type"] == "ADDED" and first["object"]["metadata"]["name"] == "w-a"
    assert first["object"]["kind"] == "Secret"
    b = cluster.create("secrets", {"metadata": {"name": "w-b", "labels": {"w": "1"}}})
    ev = w.next()
    assert ev["type"] == "ADDED" and ev["object"]["metadata"]["resourceVersion"] == b["metadata"]["resourceVersion"]
    cluster.delete("secrets", "w-a")
    ev = w.next()
    assert ev["type"] == "DELETED" and ev["object"]["metadata"]["name"] == "w-a"
    assert int(ev["object"]["metadata"]["resourceVersion"]) > int(b["metadata"]["resourceVersion"])
    w.close()

    # replay from a resourceVersion: only what happened after it
    r = Stream(cluster, watch_path(cluster, "secrets", labelSelector="w%3D1", resourceVersion=rv_a))
    evs = r.events(2)
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in evs] == [("ADDED", "w-b"), ("DELETED", "w-a")]
    r.close()


def test_watch_label_change_is_deleted_for_the_watcher(cluster):
    cluster.create("secrets", {"metadata": {"name": "relabel", "labels": {"colour": "red"}}})
    w = Stream(cluster, watch_path(cluster, "secrets", labelSelector="colour%3Dred"))
    assert w.next()["type"] == "ADDED"
    cluster.api("PATCH", cluster.path("secrets", "relabel"), {"metadata": {"labels": {"colour": "blue"}}},
                headers={"Content-Type": "application/merge-patch+json"})
    ev = w.next()
    assert ev["type"] == "DELETED" and ev["object"]["metadata"]["labels"] == {"colour": "red"}
    cluster.api("PATCH", cluster.path("secrets", "relabel"), {"metadata": {"labels": {"colour": "red"}}},
                headers={"Content-Type": "application/merge-patch+json"})
    assert w.next()["type"] == "ADDED"
    w.close()


def test_watch_bookmarks_and_timeout(cluster):
    t0 = time.monotonic()
    w = Stream(cluster, watch_path(cluster, "jobs", allowWatchBookmarks="true", timeoutSeconds=1,
                                   labelSelector="none%3Dnone"))
    evs = w.events()        # ends cleanly when the server closes the stream
    elapsed = time.monotonic() - t0
    assert 0.9 < elapsed < 3
    bookmarks = [e for e in evs if e["type"] == "BOOKMARK"]
    assert bookmarks and len(bookmarks) == len(evs)
    assert bookmarks[0]["object"] == {"kind": "Job", "apiVersion": "batch/v1",
                                      "metadata": {"resourceVersion": bookmarks[0]["object"]["metadata"]["resourceVersion"]}}
    assert w.resp.isclosed() or w.resp.read() == b""
    w.close()


def test_watch_send_initial_events(cluster):
    cluster.create("secrets", {"metadata": {"name": "wl-1", "labels": {"wl": "1"}}})
    w = Stream(cluster, watch_path(cluster, "secrets", labelSelector="wl%3D1", sendInitialEvents="true",
                                   allowWatchBookmarks="true", resourceVersionMatch="NotOlderThan"))
    added, mark = w.events(2)
    assert added["type"] == "ADDED" and mark["type"] == "BOOKMARK"
    assert mark["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}
    w.close()


def test_watch_410_after_compact(cluster):
    old = cluster.create("secrets", {"metadata": {"name": "compact-me"}})["metadata"]["resourceVersion"]
    cluster.create("secrets", {"metadata": {"name": "compact-me-2"}})
    current = cluster.faults.compact()
    w = Stream(cluster, watch_path(cluster, "secrets", resourceVersion=old))
    assert w.resp.status == 200
    evs = w.events()
    assert len(evs) == 1 and evs[0]["type"] == "ERROR"
    assert evs[0]["object"] == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                "message": f"too old resource version: {old} ({current})", "reason": "Expired",
                                "code": 410}
    w.close()
    # resuming from the compaction point itself is fine
    w = Stream(cluster, watch_path(cluster, "secrets", resourceVersion=current, timeoutSeconds=1))
    assert all(e["type"] != "ERROR" for e in w.events())
    w.close()
    # a continue token from before the compaction is 410 too
    cluster.create("secrets", {"metadata": {"name": "compact-me-3"}})
    out = cluster.api("GET", cluster.path("secrets"), query={"limit": 1})
    cluster.create("secrets", {"metadata": {"name": "compact-me-4"}})
    cluster.faults.compact()
    status, body = cluster.request("GET", cluster.path("secrets"), query={"limit": 1,
                                                                          "continue": out["metadata"]["continue"]})
    assert status == 410 and body["reason"] == "Expired"


def test_drop_and_truncate_watches(cluster):
    w = Stream(cluster, watch_path(cluster, "pods", labelSelector="none%3Dnone"))
    time.sleep(0.1)
    assert cluster.faults.drop_watches() >= 1
    with pytest.raises((http.client.IncompleteRead, ConnectionError, ssl.SSLError, OSError, ValueError)):
        w.resp.read()    # no terminating chunk: the client sees a broken stream
    w.close()

    w = Stream(cluster, watch_path(cluster, "pods", labelSelector="none%3Dnone"))
    time.sleep(0.1)
    assert cluster.faults.truncate_watches() >= 1
    assert w.events() == []   # ends cleanly
    w.close()


# ---- authentication, authorization, TLS --------------------------------------------------------

def test_unauthorized(cluster):
    for token in ("", "not-a-token"):
        status, body = cluster.request("GET", cluster.path("jobs"), token=token)
        assert status == 401
        assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                        "message": "Unauthorized", "reason": "Unauthorized", "code": 401}


def test_rbac_of_the_fixture_role(cluster, sa_token):
    user = "system:serviceaccount:assay:assay-server"
    assert cluster.request("GET", cluster.path("jobs"), token=sa_token)[0] == 200
    assert cluster.request("GET", cluster.path("pods"), token=sa_token)[0] == 200
    status, body = cluster.request("POST", cluster.path("secrets"), {"metadata": {"name": "sa-made"}}, token=sa_token)
    assert status == 201
    status, body = cluster.request("GET", cluster.path("secrets", "sa-made"), token=sa_token)
    assert status == 403
    assert body == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                    "message": f'secrets "sa-made" is forbidden: User "{user}" cannot get resource "secrets" in '
                               'API group "" in the namespace "assay"',
                    "reason": "Forbidden", "details": {"name": "sa-made", "kind": "secrets"}, "code": 403}
    status, body = cluster.request("GET", cluster.path("secrets"), token=sa_token)
    assert status == 403
    assert cluster.request("DELETE", cluster.path("secrets", "sa-made"), token=sa_token)[0] == 200
    # namespaced: nothing in another namespace
    status, body = cluster.request("POST", cluster.path("jobs", namespace="default"), job("elsewhere", "true"),
                                   token=sa_token)
    assert status == 403 and body["message"] == (
        f'jobs.batch is forbidden: User "{user}" cannot create resource "jobs" in API group "batch" in the '
        'namespace "default"')
    # watch is its own verb; update/patch are not granted
    assert cluster.request("GET", cluster.path("jobs") + "?watch=true&timeoutSeconds=0", token=sa_token)[0] == 200
    status, body = cluster.request("PATCH", cluster.path("jobs", "x"), {}, token=sa_token,
                                   headers={"Content-Type": "application/merge-patch+json"})
    assert status == 403 and 'cannot patch resource "jobs"' in body["message"]
    # the fixture has no cluster-wide objects: everything above worked without one
    assert not [d for d in load_docs(DEFAULT_RBAC)
                if d["kind"] in ("ClusterRole", "ClusterRoleBinding")]


def test_rbac_verb_removed_and_cluster_roles(tmp_path):
    docs = remove_verb(load_docs(DEFAULT_RBAC), "delete", "jobs")
    docs += [
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "reader", "namespace": "assay"}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "pod-reader"},
         "rules": [{"apiGroups": [""], "resources": ["pods", "pods/*"], "verbs": ["get", "list"]},
                   {"apiGroups": ["batch"], "resources": ["jobs"], "verbs": ["get"], "resourceNames": ["only-me"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "r"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "pod-reader"},
         "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": "assay"}]},
    ]
    taint = {"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}
    with KubeTestCluster(tmp_path, rbac_docs=docs, images={SH: ["/bin/sh", "-c"]}, node_taints=[taint]) as c:
        tok = c.token("assay-server")
        assert c.request("POST", c.path("jobs"), job("no-delete", "sleep 0"), token=tok)[0] == 201
        status, body = c.request("DELETE", c.path("jobs", "no-delete"), token=tok)
        assert status == 403 and body["message"] == (
            'jobs.batch "no-delete" is forbidden: User "system:serviceaccount:assay:assay-server" cannot delete '
            'resource "jobs" in API group "batch" in the namespace "assay"')
        reader = c.token("reader")
        assert c.request("GET", c.path("pods", namespace="default"), token=reader)[0] == 200
        assert c.request("GET", "/api/v1/pods", token=reader)[0] == 200
        assert c.request("GET", c.path("pods", "x", subresource="log"), token=reader)[0] == 404  # allowed, absent
        assert c.request("GET", c.path("pods") + "?watch=1", token=reader)[0] == 403
        assert c.request("GET", c.path("jobs", "only-me"), token=reader)[0] == 404
        assert c.request("GET", c.path("jobs", "no-delete"), token=reader)[0] == 403
        # (this cluster's node is tainted: a pod needs the toleration)
        c.create("pods", pod("tolerates", "true", tolerations=[{"key": "dedicated", "operator": "Equal",
                                                                "value": "gpu", "effect": "NoSchedule"}]))
        c.wait_for(lambda: c.get("pods", "tolerates")["status"]["phase"] == "Succeeded")
        cond = c.wait_for(lambda: next((x for p in c.list("pods", label_selector="test=no-delete")
                                        for x in p["status"].get("conditions") or [] if x["type"] == "PodScheduled"),
                                       None))
        assert cond["reason"] == "Unschedulable" and "1 node(s) had untolerated taint {dedicated: gpu}" in cond["message"]


def test_tls_verification(cluster):
    good = ssl.create_default_context(cafile=cluster.ca_file)
    for host in ("127.0.0.1", "localhost"):
        conn = http.client.HTTPSConnection(host, cluster.port, context=good, timeout=5)
        conn.request("GET", "/healthz")
        assert conn.getresponse().status == 200
        conn.close()
    wrong = ssl.create_default_context()
    trustme.CA().configure_trust(wrong)
    conn = http.client.HTTPSConnection("127.0.0.1", cluster.port, context=wrong, timeout=5)
    with pytest.raises(ssl.SSLCertVerificationError):
        conn.request("GET", "/version")
    conn.close()


def test_token_rotation_and_service_account_dir(cluster, tmp_path):
    d = cluster.write_service_account_dir(tmp_path / "sa")
    assert (d / "namespace").read_text() == NS
    assert (d / "ca.crt").read_text() == Path(cluster.ca_file).read_text()
    old = (d / "token").read_text()
    assert cluster.request("GET", cluster.path("jobs"), token=old)[0] == 200
    new = cluster.rotate_token("assay-server", d, grace_seconds=1.0)
    assert (d / "token").read_text() == new != old
    assert cluster.request("GET", cluster.path("jobs"), token=old)[0] == 200   # still in its grace period
    assert cluster.request("GET", cluster.path("jobs"), token=new)[0] == 200
    time.sleep(1.1)
    assert cluster.request("GET", cluster.path("jobs"), token=old)[0] == 401
    assert cluster.token("assay-server") == new


# ---- faults ---------------------------------------------------------------------------------

def test_faults_errors_and_delays(cluster, sa_token):
    cluster.faults.error(status=500, count=2, verbs=["list"])
    statuses = [cluster.request("GET", cluster.path("jobs"), token=sa_token) for _ in range(3)]
    assert [s for s, _ in statuses] == [500, 500, 200]
    assert statuses[0][1]["reason"] == "InternalError" and statuses[0][1]["kind"] == "Status"
    assert cluster.request("GET", cluster.path("jobs"))[0] == 200     # the admin is never faulted

    cluster.faults.error(status=429, count=1)
    conn = http.client.HTTPSConnection("127.0.0.1", cluster.port,
                                       context=ssl.create_default_context(cafile=cluster.ca_file))
    conn.request("GET", cluster.path("pods"), headers={"Authorization": f"Bearer {sa_token}"})
    resp = conn.getresponse()
    body = json.loads(resp.read())
    assert resp.status == 429 and resp.getheader("Retry-After") == "1"
    assert body["reason"] == "TooManyRequests" and body["details"] == {"retryAfterSeconds": 1}
    conn.close()

    cluster.faults.error(status=503, seconds=1.0, paths=["/api/v1/"])
    assert cluster.request("GET", cluster.path("pods"), token=sa_token)[0] == 503
    assert cluster.request("GET", cluster.path("jobs"), token=sa_token)[0] == 200
    time.sleep(1.05)
    assert cluster.request("GET", cluster.path("pods"), token=sa_token)[0] == 200

    cluster.faults.delay(0.3, count=1)
    t0 = time.monotonic()
    assert cluster.request("GET", cluster.path("jobs"), token=sa_token)[0] == 200
    assert time.monotonic() - t0 >= 0.3
    cluster.faults.clear()


def test_request_log(cluster, sa_token):
    cluster.clear_requests()
    t0 = time.time()
    cluster.request("GET", cluster.path("jobs"), token=sa_token, query={"labelSelector": "a=b"})
    cluster.request("GET", cluster.path("secrets", "x"), token=sa_token)
    log = cluster.requests(since=t0)
    assert [(r["method"], r["path"], r["status"], r["verb"], r["resource"]) for r in log] == [
        ("GET", "/apis/batch/v1/namespaces/assay/jobs", 200, "list", "jobs"),
        ("GET", "/api/v1/namespaces/assay/secrets/x", 403, "get", "secrets")]
    assert log[0]["user"] == "system:serviceaccount:assay:assay-server" and log[0]["query"] == "labelSelector=a%3Db"


# ---- the Job controller and the kubelet ---------------------------------------------------------

def test_work_queue_job_completes_after_first_success_and_no_new_pods(cluster, tmp_path):
    marker = tmp_path / "first"
    script = f'if mkdir {marker} 2>/dev/null; then echo first; exit 0; else sleep 1; echo second; fi'
    cluster.create("jobs", job("wq", script, parallelism=2))
    pods = cluster.wait_for(lambda: [p for p in job_pods(cluster, "wq") if p["status"].get("phase") == "Succeeded"])
    assert len(pods) == 1
    j = cluster.wait_for(lambda: (lambda j: j if j["status"].get("succeeded") == 1 else None)(cluster.get("jobs", "wq")))
    assert not condition(j, "Complete") and j["status"].get("active") == 1
    done = wait_job(cluster, "wq", "Complete")
    types = [c["type"] for c in done["status"]["conditions"]]
    assert types == ["SuccessCriteriaMet", "Complete"]
    assert done["status"]["succeeded"] == 2 and "active" not in done["status"]
    assert done["status"]["completionTime"] and done["status"]["startTime"]
    pods = job_pods(cluster, "wq")
    assert len(pods) == 2 and {p["status"]["phase"] for p in pods} == {"Succeeded"}
    term = pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]
    assert term["reason"] == "Completed" and term["exitCode"] == 0
    assert sorted(cluster.logs(p["metadata"]["name"]).strip() for p in pods) == ["first", "second"]
    cluster.delete("jobs", "wq", propagation="Background")


def test_running_pod_status(cluster, sa_token):
    cluster.create("jobs", job("running", "sleep 30", parallelism=2))
    j = cluster.wait_for(lambda: (lambda j: j if j["status"].get("ready") == 2 else None)(cluster.get("jobs", "running")))
    assert j["status"]["active"] == 2
    p = job_pods(cluster, "running")[0]
    st = p["status"]
    assert st["phase"] == "Running" and st["podIP"] and st["startTime"] and st["qosClass"] == "BestEffort"
    cs = st["containerStatuses"][0]
    assert cs["ready"] is True and cs["started"] is True and "startedAt" in cs["state"]["running"]
    assert {c["type"] for c in st["conditions"] if c["status"] == "True"} >= {"Ready", "ContainersReady",
                                                                            "PodScheduled", "Initialized"}
    # pods/log as the ServiceAccount (tailLines)
    status, text = cluster.request("GET", cluster.path("pods", p["metadata"]["name"], subresource="log"),
                                   token=sa_token, query={"tailLines": 1})
    assert status == 200 and text == ""
    cluster.delete("jobs", "running", propagation="Background")


def test_suspend_and_resume(cluster):
    cluster.create("jobs", job("susp", "sleep 30", suspend=True))
    j = wait_job(cluster, "susp", "Suspended")
    assert condition(j, "Suspended")["reason"] == "JobSuspended" and not job_pods(cluster, "susp")
    cluster.api("PATCH", cluster.path("jobs", "susp"), {"spec": {"suspend": False}},
                headers={"Content-Type": "application/strategic-merge-patch+json"})
    cluster.wait_for(lambda: [p for p in job_pods(cluster, "susp") if p["status"]["phase"] == "Running"])
    j = cluster.get("jobs", "susp")
    assert not condition(j, "Suspended") and j["status"]["startTime"] and j["metadata"]["generation"] == 2
    change = {"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "other"}]}}}}
    status, body = cluster.request("PATCH", cluster.path("jobs", "susp"), change,
                                   headers={"Content-Type": "application/merge-patch+json"})
    assert status == 422 and "spec.template" in body["message"] and "field is immutable" in body["message"]
    cluster.delete("jobs", "susp", propagation="Background")


def test_backoff_limit_exceeded(cluster):
    cluster.create("jobs", job("backoff", "echo nope; exit 3", backoff=1))
    j = wait_job(cluster, "backoff", "Failed")
    assert j["status"]["failed"] == 2
    failed = condition(j, "Failed")
    assert failed["reason"] == "BackoffLimitExceeded" and failed["message"] == "Job has reached the specified backoff limit"
    assert condition(j, "FailureTarget")["reason"] == "BackoffLimitExceeded"
    pods = job_pods(cluster, "backoff")
    assert len(pods) == 2
    term = pods[0]["status"]["containerStatuses"][0]["state"]["terminated"]
    assert term["exitCode"] == 3 and term["reason"] == "Error" and pods[0]["status"]["phase"] == "Failed"
    cluster.delete("jobs", "backoff", propagation="Background")


def test_active_deadline_kills_pods(cluster):
    cluster.create("jobs", job("deadline", "sleep 60", parallelism=2, activeDeadlineSeconds=2))
    procs = cluster.wait_for(lambda: (lambda ps: ps if len(ps) == 2 else None)(
        [p for p in cluster.processes() if p["pod"].startswith("deadline-")]))
    pids = [p["pid"] for p in procs]
    j = wait_job(cluster, "deadline", "Failed", timeout=8)
    assert condition(j, "Failed")["reason"] == "DeadlineExceeded"
    assert condition(j, "Failed")["message"] == "Job was active longer than specified deadline"
    assert not any(pid_alive(pid) for pid in pids)
    for p in job_pods(cluster, "deadline"):
        assert p["status"]["phase"] == "Failed"
        assert p["status"]["containerStatuses"][0]["state"]["terminated"]["exitCode"] == 143
    cluster.delete("jobs", "deadline", propagation="Background")


def test_memory_limit_oomkilled(cluster):
    script = "import time; b = b'x' * (200 * 1024 * 1024); time.sleep(30)"
    cluster.create("pods", pod("oom", script, image=PY,
                               container={"resources": {"limits": {"memory": "64Mi"}}}))
    p = cluster.wait_for(lambda: (lambda p: p if p["status"].get("phase") == "Failed" else None)(
        cluster.get("pods", "oom")), timeout=10)
    term = p["status"]["containerStatuses"][0]["state"]["terminated"]
    assert term["reason"] == "OOMKilled" and term["exitCode"] == 137
    assert p["status"]["qosClass"] == "Burstable"
    cluster.delete("pods", "oom")


def test_a_container_is_its_whole_process_tree(cluster, tmp_path):
    """Like a cgroup: memory counts children in sessions of their own, and a
    deleted pod takes them along (Assay's Runner starts each trial with setsid)."""
    pidfile = tmp_path / "child.pid"
    hog = "import time; b = bytearray(150 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096]); time.sleep(30)"
    script = (f"import os, subprocess, sys, time; p = subprocess.Popen([sys.executable, '-c', {hog!r}], start_new_session=True); "
              f"open({str(pidfile)!r}, 'w').write(str(p.pid)); time.sleep(30)")
    cluster.create("pods", pod("tree-oom", script, image=PY, container={"resources": {"limits": {"memory": "96Mi"}}}))
    p = cluster.wait_for(lambda: (lambda p: p if p["status"].get("phase") == "Failed" else None)(
        cluster.get("pods", "tree-oom")), timeout=15)
    assert p["status"]["containerStatuses"][0]["state"]["terminated"]["reason"] == "OOMKilled"
    child = int(pidfile.read_text())
    cluster.wait_for(lambda: not pid_alive(child), timeout=5, message="the child in its own session survived")
    cluster.delete("pods", "tree-oom")

    pidfile.unlink()
    script = (f"import subprocess, time; p = subprocess.Popen(['sleep', '300'], start_new_session=True); "
              f"open({str(pidfile)!r}, 'w').write(str(p.pid)); time.sleep(300)")
    cluster.create("pods", pod("tree-delete", script, image=PY))
    cluster.wait_for(lambda: pidfile.exists() and pidfile.read_text(), timeout=10)
    child = int(pidfile.read_text())
    time.sleep(0.3)  # the kubelet has seen it
    cluster.delete("pods", "tree-delete", grace_seconds=1)
    cluster.wait_for(lambda: not pid_alive(child), timeout=10, message="the child in its own session survived the pod")


def test_image_pull_backoff_then_image_appears(cluster):
    cluster.create("pods", pod("pull", "echo pulled", image="example.org/missing:1"))

    def waiting():
        p = cluster.get("pods", "pull")
        cs = (p["status"].get("containerStatuses") or [{}])[0]
        return (cs.get("state") or {}).get("waiting")
    w = cluster.wait_for(lambda: (lambda w: w if w and w["reason"] == "ErrImagePull" else None)(waiting()))
    assert w["message"].startswith('Failed to pull image "example.org/missing:1": ') and "not found" in w["message"]
    w = cluster.wait_for(lambda: (lambda w: w if w and w["reason"] == "ImagePullBackOff" else None)(waiting()))
    assert w["message"] == 'Back-off pulling image "example.org/missing:1"'
    assert cluster.get("pods", "pull")["status"]["phase"] == "Pending"
    status, body = cluster.request("GET", cluster.path("pods", "pull", subresource="log"))
    assert status == 400 and "is waiting to start: trying and failing to pull image" in body["message"]
    cluster.set_image("example.org/missing:1", ["/bin/sh", "-c"])
    cluster.wait_for(lambda: cluster.get("pods", "pull")["status"]["phase"] == "Succeeded")
    assert cluster.logs("pull") == "pulled\n"
    cluster.faults.unpullable("example.org/missing:1")
    cluster.delete("pods", "pull")


def test_unschedulable(cluster):
    cluster.create("pods", pod("nosel", "true", nodeSelector={"disk": "ssd"}))
    cluster.create("pods", pod("gpus", "true", container={"resources": {"limits": {"nvidia.com/gpu": "2"}}}))

    def scheduled(name):
        p = cluster.get("pods", name)
        return next((c for c in p["status"].get("conditions") or [] if c["type"] == "PodScheduled"), None)
    c = cluster.wait_for(lambda: scheduled("nosel"))
    assert c["status"] == "False" and c["reason"] == "Unschedulable"
    assert c["message"].startswith("0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.")
    c = cluster.wait_for(lambda: scheduled("gpus"))
    assert c["reason"] == "Unschedulable" and c["message"].startswith(
        "0/1 nodes are available: 1 Insufficient nvidia.com/gpu.")
    p = cluster.get("pods", "gpus")
    assert p["status"]["phase"] == "Pending" and "nodeName" not in p["spec"]
    # one GPU fits the node
    cluster.create("pods", pod("onegpu", "true", container={"resources": {"limits": {"nvidia.com/gpu": "1"}}}))
    cluster.wait_for(lambda: cluster.get("pods", "onegpu")["status"]["phase"] == "Succeeded")
    for name in ("nosel", "gpus", "onegpu"):
        cluster.delete("pods", name)


def test_create_container_config_error_then_recovery(cluster):
    env = [{"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "late-secret", "key": "token"}}},
           {"name": "POD", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
    cluster.create("pods", pod("cfg", 'echo "$TOKEN $POD"', container={"env": env}))

    def waiting():
        cs = (cluster.get("pods", "cfg")["status"].get("containerStatuses") or [{}])[0]
        return (cs.get("state") or {}).get("waiting")
    w = cluster.wait_for(lambda: (lambda w: w if w and w["reason"] == "CreateContainerConfigError" else None)(waiting()))
    assert w["message"] == 'secret "late-secret" not found'
    cluster.create("secrets", {"metadata": {"name": "late-secret"}, "stringData": {"other": "x"}})
    cluster.wait_for(lambda: (waiting() or {}).get("message") == "couldn't find key token in Secret assay/late-secret")
    cluster.delete("secrets", "late-secret")
    cluster.create("secrets", {"metadata": {"name": "late-secret"}, "stringData": {"token": "s3cret"}})
    cluster.wait_for(lambda: cluster.get("pods", "cfg")["status"]["phase"] == "Succeeded")
    assert cluster.logs("cfg") == "s3cret cfg\n"
    cluster.delete("pods", "cfg")


def test_start_error_for_a_missing_executable(cluster):
    cluster.create("pods", pod("noexec", "x", container={"command": ["/nonexistent/bin"]}))
    p = cluster.wait_for(lambda: (lambda p: p if p["status"]["phase"] == "Failed" else None)(cluster.get("pods", "noexec")))
    term = p["status"]["containerStatuses"][0]["state"]["terminated"]
    assert term["reason"] == "StartError" and term["exitCode"] == 128 and '"/nonexistent/bin"' in term["message"]
    cluster.delete("pods", "noexec")


def test_environment_volumes_and_paths(cluster):
    script = ('echo "work=$WORK_DIR data=$DATA tmp=$TMPDIR cwd=$(pwd) leak=${KUBEAPI_TEST_LEAK:-none}"; '
              'echo hello > "$WORK_DIR/file"; cat /work/file 2>/dev/null || echo "no /work"')
    spec = {"container": {"env": [{"name": "WORK_DIR", "value": "/work"}, {"name": "DATA", "value": "/work/data/x"}],
                          "volumeMounts": [{"name": "work", "mountPath": "/work"}, {"name": "tmp", "mountPath": "/tmp"}]},
            "volumes": [{"name": "work", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}]}
    cluster.create("pods", pod("paths", script, **spec))
    cluster.wait_for(lambda: cluster.get("pods", "paths")["status"]["phase"] == "Succeeded")
    out = dict(kv.split("=", 1) for kv in cluster.logs("paths").splitlines()[0].split())
    state = str(cluster.state_dir)
    assert out["work"].startswith(state) and out["work"].endswith("/volumes/work")
    assert out["data"] == out["work"] + "/data/x"
    assert out["tmp"].startswith(state) and out["tmp"].endswith("/volumes/tmp")
    assert out["cwd"] == out["work"] and out["leak"] == "none"
    assert Path(out["work"], "file").read_text() == "hello\n"
    cluster.delete("pods", "paths")


def test_init_containers_multiple_containers_and_log_options(cluster):
    # paths inside a shell string are not mapped: they reach the script through env
    mount = {"env": [{"name": "SHARED", "value": "/shared"}],
             "volumeMounts": [{"name": "shared", "mountPath": "/shared"}]}
    spec = {"initContainers": [{"name": "init", "image": SH, "args": ['echo from-init > "$SHARED/f"'], **mount}],
            "containers": [{"name": "a", "image": SH, "args": ['cat "$SHARED/f"; echo a2; sleep 0.6; echo a3'],
                            **mount},
                           {"name": "b", "image": SH, "args": ["echo b"]}],
            "volumes": [{"name": "shared", "emptyDir": {}}]}
    cluster.create("pods", {"metadata": {"name": "multi"}, "spec": {"restartPolicy": "Never", **spec}})
    cluster.wait_for(lambda: cluster.get("pods", "multi")["status"]["phase"] == "Running")
    status, body = cluster.request("GET", cluster.path("pods", "multi", subresource="log"))
    assert status == 400 and body["message"] == "a container name must be specified for pod multi, choose one of: [a b]"
    # follow streams until the container ends
    s = Stream(cluster, cluster.path("pods", "multi", subresource="log") + "?container=a&follow=true")
    assert s.resp.read().decode() == "from-init\na2\na3\n"
    s.close()
    p = cluster.wait_for(lambda: (lambda p: p if p["status"]["phase"] == "Succeeded" else None)(cluster.get("pods", "multi")))
    assert [c["name"] for c in p["status"]["containerStatuses"]] == ["a", "b"]
    assert p["status"]["initContainerStatuses"][0]["state"]["terminated"]["reason"] == "Completed"
    assert cluster.logs("multi", container="a", tail_lines=1) == "a3\n"
    assert cluster.logs("multi", container="init") == ""   # it wrote to the file, not stdout
    cluster.delete("pods", "multi")


def test_restart_policy_on_failure(cluster):
    cluster.create("jobs", job("onfailure", "echo try; exit 1", backoff=2, pod={"restartPolicy": "OnFailure"}))

    def restarted():
        for p in job_pods(cluster, "onfailure"):
            cs = (p["status"].get("containerStatuses") or [{}])[0]
            if cs.get("restartCount", 0) >= 1:
                return p, cs
    p, cs = cluster.wait_for(restarted)
    assert p["status"]["phase"] == "Running" and cs["lastState"]["terminated"]["exitCode"] == 1
    assert len(job_pods(cluster, "onfailure")) == 1      # restarted in place, not replaced
    j = wait_job(cluster, "onfailure", "Failed", timeout=10)
    assert condition(j, "Failed")["reason"] == "BackoffLimitExceeded"
    cluster.wait_for(lambda: not job_pods(cluster, "onfailure"), timeout=5)   # the active pod is deleted
    cluster.delete("jobs", "onfailure", propagation="Background")


def test_delete_kills_processes_and_gc_and_orphan_default(cluster):
    # Background: the Job goes now, its pods (processes) and its Secret right after
    j = cluster.create("jobs", job("bg", "trap '' TERM; sleep 60", parallelism=2))
    uid = j["metadata"]["uid"]
    cluster.create("secrets", {"metadata": {"name": "bg-token", "ownerReferences": [
        {"apiVersion": "batch/v1", "kind": "Job", "name": "bg", "uid": uid, "controller": True,
         "blockOwnerDeletion": True}]}, "stringData": {"token": "t"}})
    procs = cluster.wait_for(lambda: (lambda ps: ps if len(ps) == 2 else None)(
        [p for p in cluster.processes() if p["pod"].startswith("bg-")]))
    t0 = time.monotonic()
    out = cluster.delete("jobs", "bg", propagation="Background")
    assert out["status"] == "Success"
    cluster.wait_for(lambda: cluster.get("secrets", "bg-token") is None, timeout=1)
    # the trap ignores SIGTERM: SIGKILL after the (capped, 2 s) grace period
    cluster.wait_for(lambda: not job_pods(cluster, "bg"), timeout=6)
    assert not any(pid_alive(p["pid"]) for p in procs)
    assert 1.5 < time.monotonic() - t0 < 5

    # no policy: batch/v1 Jobs orphan their pods, which keep running
    cluster.create("jobs", job("orphan", "sleep 60"))
    cluster.wait_for(lambda: [p for p in job_pods(cluster, "orphan") if p["status"]["phase"] == "Running"])
    cluster.delete("jobs", "orphan")
    time.sleep(0.3)
    (p,) = job_pods(cluster, "orphan")
    assert p["status"]["phase"] == "Running" and "ownerReferences" not in p["metadata"]
    pid = next(x["pid"] for x in cluster.processes() if x["pod"] == p["metadata"]["name"])
    assert pid_alive(pid)
    deleted = cluster.delete("pods", p["metadata"]["name"])
    assert deleted["metadata"]["deletionTimestamp"] and deleted["metadata"]["deletionGracePeriodSeconds"] == 30
    cluster.wait_for(lambda: cluster.get("pods", p["metadata"]["name"]) is None, timeout=5)
    assert not pid_alive(pid)

    # Foreground: the Job waits, marked, until its pods are gone
    cluster.create("jobs", job("fg", "sleep 60"))
    cluster.wait_for(lambda: [p for p in job_pods(cluster, "fg") if p["status"]["phase"] == "Running"])
    marked = cluster.delete("jobs", "fg", propagation="Foreground")
    assert marked["metadata"]["finalizers"] == ["foregroundDeletion"] and marked["metadata"]["deletionTimestamp"]
    cluster.wait_for(lambda: cluster.get("jobs", "fg") is None, timeout=5)
    assert not job_pods(cluster, "fg")


def test_dangling_owner_is_collected(cluster):
    cluster.create("secrets", {"metadata": {"name": "dangling", "ownerReferences": [
        {"apiVersion": "batch/v1", "kind": "Job", "name": "gone", "uid": "00000000-0000-0000-0000-000000000000"}]}})
    cluster.wait_for(lambda: cluster.get("secrets", "dangling") is None, timeout=1)


def test_ttl_after_finished(cluster):
    cluster.create("jobs", job("ttl", "true", ttlSecondsAfterFinished=0))
    cluster.wait_for(lambda: cluster.get("jobs", "ttl") is None, timeout=5)
    cluster.wait_for(lambda: not job_pods(cluster, "ttl"), timeout=5)


def test_service_account_admission(cluster):
    status, body = cluster.request("POST", cluster.path("pods"), pod("sa", "true", serviceAccountName="ghost"))
    assert status == 403 and body["message"] == ('pods "sa" is forbidden: error looking up service account '
                                                 'assay/ghost: serviceaccount "ghost" not found')


# ---- real clients ------------------------------------------------------------------------------

def test_official_python_client(cluster, tmp_path):
    from kubernetes import client, config, watch

    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig", ca="data")
    config.load_kube_config(str(kubeconfig))
    batch = client.BatchV1Api()
    core = client.CoreV1Api()
    cluster.create("jobs", job("pyclient", "sleep 0.3"))
    jobs = batch.list_namespaced_job(NS, label_selector="test=pyclient")
    assert [j.metadata.name for j in jobs.items] == ["pyclient"]
    rv = jobs.metadata.resource_version
    seen = []
    for ev in watch.Watch().stream(batch.list_namespaced_job, NS, label_selector="test=pyclient",
                                   resource_version=rv, timeout_seconds=10):
        seen.append((ev["type"], ev["object"].status.succeeded))
        if ev["object"].status.completion_time:
            break
    assert seen[-1] == ("MODIFIED", 1)
    assert batch.read_namespaced_job("pyclient", NS).status.conditions[-1].type == "Complete"
    pods = core.list_namespaced_pod(NS, label_selector="batch.kubernetes.io/job-name=pyclient")
    assert pods.items[0].status.phase == "Succeeded"
    assert core.read_namespaced_pod_log(pods.items[0].metadata.name, NS) == ""
    with pytest.raises(client.ApiException) as e:
        core.read_namespaced_secret("x", NS)
    assert e.value.status == 403
    batch.delete_namespaced_job("pyclient", NS, propagation_policy="Background")
    # the same kubeconfig with the CA as a file
    api_client = config.new_client_from_config(str(cluster.write_kubeconfig(tmp_path / "k2", ca="file")))
    assert client.BatchV1Api(api_client).list_namespaced_job(NS, label_selector="test=pyclient").items == []


def test_kubectl(cluster, tmp_path):
    kubeconfig = cluster.write_kubeconfig(tmp_path / "kubeconfig")

    def kubectl(*args, timeout=30):
        return subprocess.run([str(KUBECTL), "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp_path / "cache"),
                               *args], capture_output=True, text=True, timeout=timeout)
    cluster.create("jobs", job("kctl", "sleep 30"))
    cluster.wait_for(lambda: [p for p in job_pods(cluster, "kctl") if p["status"]["phase"] == "Running"])
    r = kubectl("get", "jobs,pods", "-n", NS)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"]
    assert any(line.startswith("job.batch/kctl") and "Running" in line for line in lines)
    assert any(line.startswith("pod/kctl-") and "1/1" in line and "Running" in line for line in lines)

    r = kubectl("describe", "job", "kctl")
    assert r.returncode == 0 and "Pods Statuses:" in r.stdout, r.stderr

    r = kubectl("get", "job", "kctl", "-o", "json")
    assert r.returncode == 0, r.stderr
    obj = json.loads(r.stdout)
    assert obj["kind"] == "Job" and obj["metadata"]["name"] == "kctl" and obj["status"]["active"] == 1

    proc = subprocess.Popen([str(KUBECTL), "--kubeconfig", str(kubeconfig), "--cache-dir", str(tmp_path / "cache"),
                             "get", "pods", "-w", "--request-timeout=3s", "-l", "test=kctl"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    header, first = proc.stdout.readline(), proc.stdout.readline()   # the list, then the watch runs
    assert header.split()[:3] == ["NAME", "READY", "STATUS"] and "Running" in first, (header, first)
    time.sleep(0.2)
    cluster.delete("jobs", "kctl", propagation="Background")
    out, err = proc.communicate(timeout=10)
    assert "Terminating" in out, (out, err)

    r = kubectl("get", "secrets")
    assert r.returncode != 0 and "Forbidden" in r.stderr and "cannot list resource \"secrets\"" in r.stderr


# ---- process hygiene ------------------------------------------------------------------------------

def test_stop_kills_every_process_group(tmp_path):
    for hard in (False, True):
        c = KubeTestCluster(tmp_path / f"stop-{hard}", images={SH: ["/bin/sh", "-c"]}, max_grace_seconds=1)
        c.start()
        # a child that leaves the shell behind in the same process group
        c.create("jobs", job("forever", "sleep 300 & sleep 300", parallelism=2))
        procs = c.wait_for(lambda: (lambda ps: ps if len(ps) == 2 else None)(c.processes()))
        pgids = [p["pgid"] for p in procs]
        if hard:
            os.kill(c.proc.pid, signal.SIGKILL)   # the server dies without cleaning up
            c.proc.wait()
        c.stop()
        c.stop()  # idempotent
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            alive = [g for g in pgids if _group_alive(g)]
            if not alive:
                break
            time.sleep(0.05)
        assert not alive, f"process groups left behind (hard={hard}): {alive}"


def _group_alive(pgid):
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


def test_standalone_cli_from_tests_dir(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.Popen([sys.executable, "-m", "kubeapi", "serve", "--state-dir", str(tmp_path), "--image",
                             "busybox=/bin/sh -c", "--kube-version", "1.37.0"],
                            cwd=str(ROOT / "Tests"), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        ready = tmp_path / "ready.json"
        deadline = time.monotonic() + 20
        while not ready.exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read().decode()
            time.sleep(0.05)
        info = json.loads(ready.read_text())
        ctx = ssl.create_default_context(cafile=str(tmp_path / "ca.crt"))
        conn = http.client.HTTPSConnection("127.0.0.1", info["port"], context=ctx, timeout=5)
        conn.request("GET", "/apis/batch/v1/namespaces/assay/jobs",
                     headers={"Authorization": "Bearer " + (tmp_path / "admin-token").read_text()})
        resp = conn.getresponse()
        assert resp.status == 200 and json.loads(resp.read())["kind"] == "JobList"
        conn.close()
        r = subprocess.run([str(KUBECTL), "--kubeconfig", str(tmp_path / "kubeconfig"), "--cache-dir",
                            str(tmp_path / "cache"), "get", "pods"], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0 and "No resources found in assay namespace." in r.stderr
    finally:
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=10)[0].decode()
    assert proc.returncode == 0 and "kubeapi: stopped" in out

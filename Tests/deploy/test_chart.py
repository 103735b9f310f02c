"""helm/assay checked offline: helm lint (strict), renders of every value set in
Tests/deploy/values/ validated strictly against the Kubernetes 1.30 and 1.37
schemas, and the security and wiring properties the docs promise."""

from __future__ import annotations

import base64
import json
import re
import sys
from pathlib import Path

import helm_python as helm
import kubernetes_validate
import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from assay_chart import (CHART, KUBE_VERSIONS, NAMESPACE, ROOT, by_kind, load_values, notes, one,  # noqa: E402
                         pod_specs, render, rule_set, value_sets)

VALUE_SETS = value_sets()
FIXTURE_RBAC = ROOT / "Tests" / "kubeapi" / "fixtures" / "rbac.yaml"
GOLDEN_JOB = ROOT / "Tests" / "AssayKubeTests" / "Fixtures" / "golden" / "default.job.json"
CONFIGURATION_DOC = ROOT / "docs" / "configuration.md"
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|TOKEN|SECRET|CREDENTIAL|STORE_URL|SMTP_URL|SMTP_USER|_KEY$|URI$", re.I)
# names that look secret but hold only names of Secrets
NOT_SECRET = {"ASSAY_RUNNER_PULL_SECRETS"}


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[dict]]:
    return {name: render(load_values(name)) for name in VALUE_SETS}


def fixture_role_rules() -> set:
    docs = [d for d in yaml.safe_load_all(FIXTURE_RBAC.read_text()) if d]
    return rule_set(one(docs, "Role"))


def server(docs):
    return one(docs, "Deployment", "assay-server")


def server_container(docs) -> dict:
    return server(docs)["spec"]["template"]["spec"]["containers"][0]


def env_of(container) -> dict[str, dict]:
    return {e["name"]: e for e in container.get("env") or []}


def env_value(docs, name):
    e = env_of(server_container(docs)).get(name)
    return None if e is None else e.get("value")


def secret_ref(docs, name) -> tuple[str, str]:
    ref = env_of(server_container(docs))[name]["valueFrom"]["secretKeyRef"]
    return ref["name"], ref["key"]


def secret_data(docs, name) -> dict[str, str]:
    s = one(docs, "Secret", name)
    return {k: base64.b64decode(v).decode() for k, v in (s.get("data") or {}).items()} | dict(s.get("stringData") or {})


def all_containers(spec):
    return list(spec.get("initContainers") or []) + list(spec.get("containers") or [])


# ---- helm lint and schemas -----------------------------------------------------------------


@pytest.mark.parametrize("kube_version", KUBE_VERSIONS)
@pytest.mark.parametrize("name", VALUE_SETS)
def test_helm_lint_strict_is_clean(name, kube_version):
    report = helm.lint(CHART, load_values(name), strict=True, kube_version=f"v{kube_version}")
    problems = [m for m in report["messages"] if m["severity"] >= 2]  # warnings and errors (1 = info)
    assert report["total_charts_linted"] == 1
    assert not report["errors"] and not problems, json.dumps(report, indent=1)


@pytest.mark.parametrize("name", VALUE_SETS)
def test_every_rendered_object_is_valid_for_kubernetes_1_30_and_1_37(rendered, name):
    docs = rendered[name]
    assert len(docs) >= 8
    for doc in docs:
        for version in KUBE_VERSIONS:
            kubernetes_validate.validate(doc, version, strict=True)


def test_the_validator_is_strict():
    doc = server(render())
    doc["spec"]["template"]["spec"]["containers"][0]["securityContext"]["runAsNonRot"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(doc, "1.37.0", strict=True)


@pytest.mark.parametrize("values, message", [
    ({"sever": {"replicaCount": 2}}, "additional properties 'sever' not allowed"),
    ({"mongodb": {"persistance": {"size": "1Gi"}}}, "additional properties 'persistance' not allowed"),
    ({"server": {"replicaCount": "two"}}, "/server/replicaCount"),
    ({"networkPolicy": {"enabled": "yes"}}, "/networkPolicy/enabled"),
    ({"runners": {"tolerations": {"key": "nvidia.com/gpu"}}}, "/runners/tolerations"),
    ({"smtp": {"starttls": "sometimes"}}, "/smtp/starttls"),
    ({"mongodb": {"persistence": {"size": "lots"}}}, "/mongodb/persistence/size"),
    ({"runners": {"namespace": "Runners_NS"}}, "/runners/namespace"),
])
def test_the_schema_rejects_typos_and_wrong_types(values, message):
    with pytest.raises(helm.HelmValuesError) as refused:
        render(values)
    assert message in str(refused.value)
    report = helm.lint(CHART, values, strict=True)
    assert any(message in e for e in report["errors"]), report


@pytest.mark.parametrize("values, message", [
    ({"mongodb": {"enabled": False}}, "mongodb.enabled=false needs the store URL"),
    ({"mongodb": {"enabled": False, "external": {"uri": "mongodb://a/b", "existingSecret": "s"}}}, "not both"),
    ({"mongodb": {"external": {"uri": "mongodb://a/b"}}}, "only with mongodb.enabled=false"),
    ({"smtp": {"enabled": True}}, "smtp.enabled=true needs smtp.url"),
    ({"ingress": {"enabled": True}}, "ingress.enabled=true needs ingress.host"),
    ({"runners": {"serviceAccount": {"create": False, "name": "assay-server"}}}, "Runner pods get no API access"),
])
def test_inconsistent_values_stop_the_render_with_a_message_naming_them(values, message):
    with pytest.raises(helm.HelmError) as refused:
        render(values)
    assert message in str(refused.value)


# ---- values.yaml -----------------------------------------------------------------------------


def _schema():
    return json.loads((CHART / "values.schema.json").read_text())


def _schema_node(path: list[str]):
    node = _schema()
    defs = node["definitions"]
    for key in path:
        node = (node.get("properties") or {}).get(key)
        if node is None:
            return None
        if "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[1]]
    return node


def test_every_value_has_a_comment_above_it_and_is_in_the_schema():
    lines = (CHART / "values.yaml").read_text().splitlines()
    stack: list[tuple[int, str]] = []
    undocumented, unknown = [], []
    for number, line in enumerate(lines):
        m = re.match(r"^(\s*)([A-Za-z0-9_.-]+):(\s|$)", line)
        if not m:
            continue
        indent = len(m.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parent = [k for _, k in stack]
        stack.append((indent, m.group(2)))
        if any(_schema_node(parent[:n]) is not None and "properties" not in _schema_node(parent[:n])
               for n in range(1, len(parent) + 1)):
            continue  # data inside a value (e.g. a default NetworkPolicy peer), not a chart key
        path = parent + [m.group(2)]
        if _schema_node(path) is None:
            unknown.append(".".join(path))
        previous = next((lines[i].strip() for i in range(number - 1, -1, -1) if lines[i].strip()), "")
        if not previous.startswith("#"):
            undocumented.append(".".join(path))
    assert not undocumented, f"values without a comment above them: {undocumented}"
    assert not unknown, f"values missing from values.schema.json: {unknown}"


def test_every_schema_key_is_in_values_yaml():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    missing = []

    def walk(node, value, path):
        for key, child in (node.get("properties") or {}).items():
            if key == "global" and not path:
                continue
            if not isinstance(value, dict) or key not in value:
                missing.append(".".join(path + [key]))
                continue
            if "$ref" in child:
                child = _schema()["definitions"][child["$ref"].rsplit("/", 1)[1]]
            walk(child, value[key], path + [key])

    walk(_schema(), values, [])
    assert not missing, f"schema keys without a default in values.yaml: {missing}"


def test_no_password_is_committed_or_defaulted():
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    offending = []

    def walk(value, path):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, path + [k])
        elif isinstance(value, str) and re.search(r"password|passwd|secret$|token|uri$", path[-1], re.I):
            if value:
                offending.append((".".join(path), value))

    walk(values, [])
    assert not offending, offending
    code = [line for line in (CHART / "values.yaml").read_text().splitlines() if not line.strip().startswith("#")]
    assert not re.search(r"://[^\s:@/]+:[^\s@/]+@", "\n".join(code)), "a credential inside a URL"


# ---- security --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", VALUE_SETS)
def test_nothing_cluster_wide_and_everything_namespaced(rendered, name):
    docs = rendered[name]
    kinds = {d["kind"] for d in docs}
    assert not kinds & {"ClusterRole", "ClusterRoleBinding", "Namespace", "PersistentVolume", "StorageClass",
                        "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
                        "CustomResourceDefinition", "PodSecurityPolicy"}, kinds
    for d in docs:
        assert d["metadata"].get("namespace"), f"{d['kind']}/{d['metadata']['name']} has no namespace"


@pytest.mark.parametrize("name", VALUE_SETS)
def test_the_role_has_exactly_the_fixtures_rules_in_the_runner_namespace(rendered, name):
    docs = rendered[name]
    values = load_values(name)
    runner_ns = (values.get("runners") or {}).get("namespace") or NAMESPACE
    role = one(docs, "Role")
    assert rule_set(role) == fixture_role_rules()
    assert not any("resourceNames" in r or "nonResourceURLs" in r for r in role["rules"])
    assert not any("*" in v for r in role["rules"] for v in r["apiGroups"] + r["resources"] + r["verbs"])
    binding = one(docs, "RoleBinding")
    assert role["metadata"]["namespace"] == binding["metadata"]["namespace"] == runner_ns
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                                  "name": role["metadata"]["name"]}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "assay-server", "namespace": NAMESPACE}]
    assert server(docs)["spec"]["template"]["spec"]["serviceAccountName"] == "assay-server"
    assert env_value(docs, "ASSAY_NAMESPACE") == runner_ns


@pytest.mark.parametrize("name", VALUE_SETS)
def test_every_pod_is_non_root_without_privilege_escalation_on_a_read_only_root(rendered, name):
    specs = pod_specs(rendered[name])
    assert specs
    for where, spec in specs:
        psc = spec.get("securityContext") or {}
        assert psc.get("runAsNonRoot") is True, where
        assert psc.get("runAsUser", 0) != 0, where
        assert (psc.get("seccompProfile") or {}).get("type") == "RuntimeDefault", where
        assert not any(spec.get(k) for k in ("hostNetwork", "hostPID", "hostIPC")), where
        # Pod Security Standard "restricted": only these volume types
        restricted_volumes = {"emptyDir", "persistentVolumeClaim", "secret", "configMap", "projected", "downwardAPI",
                              "csi", "ephemeral"}
        for v in spec.get("volumes") or []:
            assert set(v) - {"name"} <= restricted_volumes, (where, v)
        for c in all_containers(spec):
            sc = c.get("securityContext") or {}
            assert sc.get("allowPrivilegeEscalation") is False, (where, c["name"])
            assert sc.get("readOnlyRootFilesystem") is True, (where, c["name"])
            assert sc.get("privileged") in (None, False), (where, c["name"])
            assert sc.get("runAsNonRoot", True) is True and sc.get("runAsUser", 1) != 0, (where, c["name"])
            assert (sc.get("capabilities") or {}).get("drop") == ["ALL"], (where, c["name"])
            assert not (sc.get("capabilities") or {}).get("add"), (where, c["name"])
            # every writable path is a volume
            mounts = {m["mountPath"] for m in c.get("volumeMounts") or []}
            assert "/tmp" in mounts, (where, c["name"])


@pytest.mark.parametrize("name", VALUE_SETS)
def test_only_the_server_gets_an_api_token(rendered, name):
    docs = rendered[name]
    for where, spec in pod_specs(docs):
        if where == "Deployment/assay-server":
            assert spec["serviceAccountName"] == "assay-server"
        else:
            assert spec.get("automountServiceAccountToken") is False, where
    for sa in by_kind(docs, "ServiceAccount"):
        if sa["metadata"]["name"] != "assay-server":
            assert sa.get("automountServiceAccountToken") is False, sa["metadata"]["name"]
    bound = {s["name"] for b in by_kind(docs, "RoleBinding") for s in b["subjects"]}
    assert bound == {"assay-server"}


@pytest.mark.parametrize("name", VALUE_SETS)
def test_secrets_reach_containers_only_through_secret_key_refs(rendered, name):
    for where, spec in pod_specs(rendered[name]):
        for c in all_containers(spec):
            assert not c.get("envFrom"), (where, c["name"])
            for e in c.get("env") or []:
                if "value" in e:
                    assert e["name"] in NOT_SECRET or not SECRET_NAME.search(e["name"]), \
                        f"{where} {e['name']} is a plain value"
                    assert not re.search(r"://[^\s/@]+:[^\s/@]+@", e["value"]), f"{where} {e['name']}: credentials"
                else:
                    assert set(e["valueFrom"]) == {"secretKeyRef"} or "fieldRef" in e["valueFrom"], e
    container = server_container(rendered[name])
    env = env_of(container)
    for required in ("ASSAY_STORE_URL", "ASSAY_ADMIN_USER", "ASSAY_ADMIN_PASSWORD"):
        assert "secretKeyRef" in env[required]["valueFrom"], required
        assert not env[required]["valueFrom"]["secretKeyRef"].get("optional"), required


@pytest.mark.parametrize("name", VALUE_SETS)
def test_every_secret_reference_is_rendered_or_named_in_the_values(rendered, name):
    docs = rendered[name]
    secrets = {s["metadata"]["name"]: set(secret_data(docs, s["metadata"]["name"])) for s in by_kind(docs, "Secret")}
    existing = set()

    def walk(value, path):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, path + [k])
        elif path and path[-1] == "existingSecret" and value:
            existing.add(value)

    walk(load_values(name), [])
    for where, spec in pod_specs(docs):
        for c in all_containers(spec):
            for e in c.get("env") or []:
                ref = (e.get("valueFrom") or {}).get("secretKeyRef")
                if not ref:
                    continue
                if ref["name"] in secrets:
                    assert ref["key"] in secrets[ref["name"]] or ref.get("optional"), (where, e["name"], ref)
                else:
                    assert ref["name"] in existing, (where, e["name"], ref)


def test_rendered_secrets_hold_generated_passwords_never_values_defaults():
    first, second = render(), render()
    for docs in (first, second):
        admin = secret_data(docs, "assay-admin")
        assert admin["username"] == "admin" and len(admin["password"]) >= 16
        mongo = secret_data(docs, "assay-mongodb")
        assert mongo["mongodb-root-username"] == "root" and len(mongo["mongodb-root-password"]) >= 24
        assert secret_data(docs, "assay-store")["store-url"] == (
            f"mongodb://root:{mongo['mongodb-root-password']}@assay-mongodb.assay.svc:27017/assay?authSource=admin")
        for name in ("assay-admin", "assay-mongodb"):
            assert one(docs, "Secret", name)["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert secret_data(first, "assay-admin")["password"] != secret_data(second, "assay-admin")["password"]
    assert (secret_data(first, "assay-mongodb")["mongodb-root-password"]
            != secret_data(second, "assay-mongodb")["mongodb-root-password"])
    # the generated Secrets are looked up first, so upgrades keep the passwords
    secrets_template = (CHART / "templates" / "secrets.yaml").read_text()
    helpers = (CHART / "templates" / "_helpers.tpl").read_text()
    assert 'lookup "v1" "Secret"' in helpers and secrets_template.count("assay.existingSecretValue") == 4


# ---- the server Deployment ---------------------------------------------------------------------


def test_default_server_deployment(rendered):
    docs = rendered["default"]
    dep = server(docs)
    spec = dep["spec"]["template"]["spec"]
    c = server_container(docs)
    assert c["image"] == "ghcr.io/assay-dev/assay-server:0.1.0" and c["imagePullPolicy"] == "IfNotPresent"
    assert dep["spec"]["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}}
    assert {k: env_value(docs, k) for k in (
        "ASSAY_HOST", "ASSAY_PORT", "ASSAY_EXECUTOR", "ASSAY_NAMESPACE", "ASSAY_RUNNER_IMAGE",
        "ASSAY_RUNNER_SERVER_URL", "ASSAY_RUNNER_PULL_POLICY", "ASSAY_RUNNER_SERVICE_ACCOUNT",
        "ASSAY_RUNNER_TTL_SECONDS", "ASSAY_RUNNER_BACKOFF_LIMIT", "ASSAY_MAX_ARTIFACT_BYTES")} == {
        "ASSAY_HOST": "0.0.0.0", "ASSAY_PORT": "8080", "ASSAY_EXECUTOR": "kubernetes", "ASSAY_NAMESPACE": "assay",
        "ASSAY_RUNNER_IMAGE": "ghcr.io/assay-dev/assay-runner:0.1.0",
        "ASSAY_RUNNER_SERVER_URL": "http://assay.assay.svc:8080", "ASSAY_RUNNER_PULL_POLICY": "IfNotPresent",
        "ASSAY_RUNNER_SERVICE_ACCOUNT": "assay-runner", "ASSAY_RUNNER_TTL_SECONDS": "3600",
        "ASSAY_RUNNER_BACKOFF_LIMIT": "3", "ASSAY_MAX_ARTIFACT_BYTES": "104857600"}
    assert env_value(docs, "ASSAY_PUBLIC_URL") is None
    for absent in ("ASSAY_SMTP_URL", "ASSAY_RUNNER_NODE_SELECTOR", "ASSAY_RUNNER_TOLERATIONS",
                   "ASSAY_RUNNER_PULL_SECRETS"):
        assert absent not in env_of(c)
    assert secret_ref(docs, "ASSAY_STORE_URL") == ("assay-store", "store-url")
    assert secret_ref(docs, "ASSAY_ADMIN_PASSWORD") == ("assay-admin", "password")
    assert c["ports"] == [{"name": "http", "containerPort": 8080, "protocol": "TCP"}]
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    assert c["startupProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert c["resources"]["requests"] and c["resources"]["limits"]["memory"]
    # writable: /tmp and the working directory holding ASSAY_WORK_DIR, both emptyDirs
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["mountPath"]: volumes[m["name"]] for m in c["volumeMounts"]}
    assert set(mounts) == {"/tmp", "/var/lib/assay"} and all("emptyDir" in v for v in mounts.values())
    assert env_value(docs, "ASSAY_WORK_DIR").startswith("/var/lib/assay/") and c["workingDir"] == "/var/lib/assay"
    assert spec["securityContext"]["runAsUser"] == 65532 and c["securityContext"]["runAsUser"] == 65532
    svc = one(docs, "Service", "assay")
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["ports"] == [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}]
    assert svc["spec"]["selector"] == dep["spec"]["selector"]["matchLabels"]
    pdb = one(docs, "PodDisruptionBudget")
    assert pdb["spec"]["selector"] == dep["spec"]["selector"] and pdb["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize("name", VALUE_SETS)
def test_every_assay_setting_the_chart_passes_is_a_documented_server_key(rendered, name):
    documented = set(re.findall(r"^\| `(ASSAY_[A-Z_]+)`", CONFIGURATION_DOC.read_text(), re.M))
    assert "ASSAY_STORE_URL" in documented and "ASSAY_KUBE_RESYNC_SECONDS" in documented
    passed = set(env_of(server_container(rendered[name])))
    assert {n for n in passed if n.startswith("ASSAY_")} <= documented


def test_mongodb_statefulset_with_auth_a_volume_claim_and_a_headless_service(rendered):
    docs = rendered["default"]
    sts = one(docs, "StatefulSet", "assay-mongodb")
    c = sts["spec"]["template"]["spec"]["containers"][0]
    assert c["image"] == "mongo:8.0"
    env = env_of(c)
    assert env["MONGO_INITDB_ROOT_USERNAME"]["valueFrom"]["secretKeyRef"] == {
        "name": "assay-mongodb", "key": "mongodb-root-username"}
    assert env["MONGO_INITDB_ROOT_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "assay-mongodb", "key": "mongodb-root-password"}
    (claim,) = sts["spec"]["volumeClaimTemplates"]
    assert claim["metadata"]["name"] == "data" and claim["spec"]["resources"]["requests"]["storage"] == "8Gi"
    assert {m["mountPath"]: m["name"] for m in c["volumeMounts"]}["/data/db"] == "data"
    svc = one(docs, "Service", "assay-mongodb")
    assert svc["spec"]["clusterIP"] == "None" and sts["spec"]["serviceName"] == "assay-mongodb"
    assert svc["spec"]["ports"][0]["port"] == 27017

    sized = render({"mongodb": {"image": {"tag": "7.0.14"}, "persistence": {"size": "50Gi", "storageClass": "ssd"}}})
    sts = one(sized, "StatefulSet")
    assert sts["spec"]["template"]["spec"]["containers"][0]["image"] == "mongo:7.0.14"
    assert sts["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] == "ssd"
    assert sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] == "50Gi"


def test_external_mongodb_from_an_existing_secret(rendered):
    docs = rendered["external-mongodb"]
    assert not by_kind(docs, "StatefulSet")
    assert not any(s["metadata"]["name"] in ("assay-mongodb", "assay-store") for s in by_kind(docs, "Secret"))
    assert secret_ref(docs, "ASSAY_STORE_URL") == ("assay-external-store", "uri")
    egress = one(docs, "NetworkPolicy", "assay-server")["spec"]["egress"]
    assert {"ports": [{"protocol": "TCP", "port": 27017}], "to": [{"ipBlock": {"cidr": "10.20.0.0/16"}}]} in egress
    assert "assay-mongodb" not in {n["metadata"]["name"] for n in by_kind(docs, "NetworkPolicy")}


def test_external_mongodb_from_a_uri_goes_into_the_store_secret():
    uri = "mongodb://assay:s3cret@mongo.example.org:27017/assay?tls=true"
    docs = render({"mongodb": {"enabled": False, "external": {"uri": uri}}})
    assert secret_ref(docs, "ASSAY_STORE_URL") == ("assay-store", "store-url")
    assert secret_data(docs, "assay-store") == {"store-url": uri}
    assert uri not in json.dumps(server(docs))


def test_ingress_with_tls_sets_the_public_url(rendered):
    docs = rendered["ingress-tls"]
    ing = one(docs, "Ingress")
    assert ing["spec"]["ingressClassName"] == "nginx"
    assert ing["spec"]["tls"] == [{"hosts": ["assay.example.org"], "secretName": "assay-example-org-tls"}]
    (rule,) = ing["spec"]["rules"]
    assert rule["host"] == "assay.example.org"
    assert rule["http"]["paths"][0]["backend"] == {"service": {"name": "assay", "port": {"name": "http"}}}
    assert env_value(docs, "ASSAY_PUBLIC_URL") == "https://assay.example.org"
    assert "https://assay.example.org/" in notes(load_values("ingress-tls"))
    ingress_rules = one(docs, "NetworkPolicy", "assay-server")["spec"]["ingress"]
    assert {"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}],
            "ports": [{"protocol": "TCP", "port": "http"}]} in ingress_rules
    assert not by_kind(rendered["default"], "Ingress")


def test_gpu_node_selector_tolerations_and_pull_secrets_reach_the_executor(rendered):
    docs = rendered["gpu"]
    values = load_values("gpu")["runners"]
    assert env_value(docs, "ASSAY_RUNNER_NODE_SELECTOR") == "cloud.google.com/gke-accelerator=nvidia-tesla-t4,pool=gpu"
    assert json.loads(env_value(docs, "ASSAY_RUNNER_TOLERATIONS")) == values["tolerations"]
    assert env_value(docs, "ASSAY_RUNNER_PULL_SECRETS") == "regcred"
    assert env_value(docs, "ASSAY_RUNNER_PULL_POLICY") == "Always"
    assert env_value(docs, "ASSAY_RUNNER_IMAGE") == "registry.example.org/ml/assay-runner:0.1.0-cuda"
    runner_policy = one(docs, "NetworkPolicy", "assay-runners")
    assert runner_policy["spec"]["egress"][-1] == values["networkPolicy"]["extraEgress"][0]
    # the server pods stay where they are
    assert "nodeSelector" not in server(docs)["spec"]["template"]["spec"]


def test_a_separate_runner_namespace(rendered):
    docs = rendered["runner-namespace"]
    by_name = {(d["kind"], d["metadata"]["name"]): d["metadata"]["namespace"] for d in docs}
    assert by_name[("Role", "assay-server")] == by_name[("RoleBinding", "assay-server")] == "assay-runners"
    assert by_name[("ServiceAccount", "assay-runner")] == "assay-runners"
    assert by_name[("NetworkPolicy", "assay-runners")] == "assay-runners"
    assert by_name[("ServiceAccount", "assay-server")] == by_name[("Deployment", "assay-server")] == "assay"
    assert env_value(docs, "ASSAY_NAMESPACE") == "assay-runners"
    assert env_value(docs, "ASSAY_RUNNER_SERVER_URL") == "http://assay.assay.svc:8080"
    first_ingress = one(docs, "NetworkPolicy", "assay-server")["spec"]["ingress"][0]["from"][0]
    assert first_ingress["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "assay-runners"}}


def test_smtp_from_an_existing_secret(rendered):
    docs = rendered["smtp-existing-secret"]
    env = env_of(server_container(docs))
    assert env["ASSAY_SMTP_URL"]["valueFrom"]["secretKeyRef"] == {"name": "assay-smtp-credentials", "key": "url"}
    for name, key in (("ASSAY_SMTP_USER", "username"), ("ASSAY_SMTP_PASSWORD", "password"),
                      ("ASSAY_SMTP_FROM", "from"), ("ASSAY_SMTP_STARTTLS", "starttls")):
        assert env[name]["valueFrom"]["secretKeyRef"] == {"name": "assay-smtp-credentials", "key": key,
                                                          "optional": True}
    assert not any(s["metadata"]["name"] == "assay-smtp" for s in by_kind(docs, "Secret"))
    smtp_rule = {"ports": [{"protocol": "TCP", "port": p} for p in (25, 465, 587)]}
    for policy in ("assay-server", "assay-runners"):
        assert smtp_rule in one(docs, "NetworkPolicy", policy)["spec"]["egress"], policy


def test_smtp_from_values_goes_into_a_secret(rendered):
    docs = rendered["smtp-values"]
    assert secret_data(docs, "assay-smtp") == {"url": "smtp://mail.example.org:587", "username": "assay",
                                              "password": "test-only-placeholder", "from": "assay@example.org",
                                              "starttls": "required"}
    assert "test-only-placeholder" not in json.dumps(server(docs))
    assert env_of(server_container(docs))["ASSAY_SMTP_URL"]["valueFrom"]["secretKeyRef"]["name"] == "assay-smtp"


# ---- NetworkPolicies ---------------------------------------------------------------------------


def test_runner_pods_reach_only_the_server_and_dns(rendered):
    docs = rendered["default"]
    golden = json.loads(GOLDEN_JOB.read_text())["spec"]["template"]["metadata"]["labels"]
    policy = one(docs, "NetworkPolicy", "assay-runners")["spec"]
    # selects what the executor really labels its Runner pods with
    assert policy["podSelector"]["matchLabels"].items() <= golden.items()
    assert policy["podSelector"]["matchLabels"] == {"app.kubernetes.io/managed-by": "assay",
                                                    "app.kubernetes.io/name": "assay-runner"}
    assert policy["policyTypes"] == ["Ingress", "Egress"] and not policy.get("ingress")
    server_labels = server(docs)["spec"]["selector"]["matchLabels"]
    assert policy["egress"] == [
        {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "assay"}},
                 "podSelector": {"matchLabels": server_labels}}],
         "ports": [{"protocol": "TCP", "port": 8080}]},
        {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                 "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
         "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
    ]


def test_mongodb_is_reachable_only_from_the_server_and_reaches_nothing(rendered):
    docs = rendered["default"]
    policy = one(docs, "NetworkPolicy", "assay-mongodb")["spec"]
    assert policy["podSelector"]["matchLabels"] == one(docs, "StatefulSet")["spec"]["selector"]["matchLabels"]
    assert policy["policyTypes"] == ["Ingress", "Egress"] and not policy.get("egress")
    assert policy["ingress"] == [{"from": [{"podSelector": {"matchLabels": server(docs)["spec"]["selector"]
                                                            ["matchLabels"]}}],
                                  "ports": [{"protocol": "TCP", "port": 27017}]}]


def test_the_server_reaches_dns_the_api_server_and_mongodb(rendered):
    docs = rendered["default"]
    policy = one(docs, "NetworkPolicy", "assay-server")["spec"]
    assert policy["podSelector"]["matchLabels"] == server(docs)["spec"]["selector"]["matchLabels"]
    ports = [sorted((p["protocol"], p["port"]) for p in rule["ports"]) for rule in policy["egress"]]
    assert ports == [[("TCP", 53), ("UDP", 53)], [("TCP", 443), ("TCP", 6443)], [("TCP", 27017)]]
    assert policy["egress"][2]["to"] == [{"podSelector": {"matchLabels": one(docs, "StatefulSet")["spec"]["selector"]
                                                          ["matchLabels"]}}]
    assert not by_kind(render({"networkPolicy": {"enabled": False}}), "NetworkPolicy")


# ---- NOTES.txt -----------------------------------------------------------------------------------


def test_notes_tell_how_to_reach_the_ui_and_read_the_admin_password():
    text = notes()
    assert "kubectl --namespace assay port-forward service/assay 8080:8080" in text
    assert ("kubectl --namespace assay get secret assay-admin -o jsonpath='{.data.password}' | base64 -d"
            in text)
    existing = notes({"admin": {"existingSecret": "my-admin"}})
    assert "get secret my-admin -o jsonpath='{.data.password}'" in existing


def test_long_release_names_still_give_valid_object_and_pod_label_names():
    docs = render(name="a-very-long-release-name-for-assay-in-production-cluster", namespace="research")
    for d in docs:
        assert len(d["metadata"]["name"]) <= 52, d["metadata"]["name"]  # StatefulSet pods' revision label fits 63
        kubernetes_validate.validate(d, "1.37.0", strict=True)
    assert one(docs, "StatefulSet")["metadata"]["name"].endswith("-mongodb")


def test_runner_service_account_can_be_an_existing_one_or_the_namespace_default():
    docs = render({"runners": {"serviceAccount": {"create": False, "name": "ml-runner"}}})
    assert env_value(docs, "ASSAY_RUNNER_SERVICE_ACCOUNT") == "ml-runner"
    assert [sa["metadata"]["name"] for sa in by_kind(docs, "ServiceAccount")] == ["assay-server"]
    docs = render({"runners": {"serviceAccount": {"create": False}}})
    assert "ASSAY_RUNNER_SERVICE_ACCOUNT" not in env_of(server_container(docs))

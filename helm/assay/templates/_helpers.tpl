{{/* Names ------------------------------------------------------------------ */}}

{{- define "assay.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every object name: the release name, plus "-assay" unless it already contains it. */}}
{{- define "assay.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "assay.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Deployment, Role, RoleBinding, PodDisruptionBudget, NetworkPolicy of the server. */}}
{{- define "assay.serverName" -}}
{{- printf "%s-server" (include "assay.fullname" .) }}
{{- end }}

{{- define "assay.serviceAccountName" -}}
{{- default (include "assay.serverName" .) .Values.serviceAccount.name }}
{{- end }}

{{- define "assay.mongodbName" -}}
{{- printf "%s-mongodb" (include "assay.fullname" .) }}
{{- end }}

{{/* Namespace of Runner Jobs, their pods and token Secrets. */}}
{{- define "assay.runnerNamespace" -}}
{{- default .Release.Namespace .Values.runners.namespace }}
{{- end }}

{{- define "assay.runnerServiceAccountName" -}}
{{- if .Values.runners.serviceAccount.create }}
{{- printf "%s-runner" (include "assay.fullname" .) }}
{{- else }}
{{- .Values.runners.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Labels ------------------------------------------------------------------ */}}

{{- define "assay.labels" -}}
helm.sh/chart: {{ include "assay.chart" . }}
{{ include "assay.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: assay
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "assay.selectorLabels" -}}
app.kubernetes.io/name: {{ include "assay.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "assay.serverSelectorLabels" -}}
{{ include "assay.selectorLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{- define "assay.mongodbSelectorLabels" -}}
{{ include "assay.selectorLabels" . }}
app.kubernetes.io/component: mongodb
{{- end }}

{{/* The labels the Kubernetes executor puts on every Runner pod (docs/kubernetes.md). */}}
{{- define "assay.runnerPodLabels" -}}
app.kubernetes.io/managed-by: assay
app.kubernetes.io/name: assay-runner
{{- end }}

{{/* Images ------------------------------------------------------------------ */}}

{{- define "assay.serverImage" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "assay.runnerImage" -}}
{{- printf "%s:%s" .Values.runners.image.repository (default .Chart.AppVersion .Values.runners.image.tag) }}
{{- end }}

{{- define "assay.mongodbImage" -}}
{{- printf "%s:%s" .Values.mongodb.image.repository .Values.mongodb.image.tag }}
{{- end }}

{{/* URLs -------------------------------------------------------------------- */}}

{{- define "assay.publicUrl" -}}
{{- if .Values.server.publicUrl }}
{{- .Values.server.publicUrl }}
{{- else if and .Values.ingress.enabled .Values.ingress.host }}
{{- printf "%s://%s" (ternary "https" "http" .Values.ingress.tls.enabled) .Values.ingress.host }}
{{- end }}
{{- end }}

{{- define "assay.runnerServerUrl" -}}
{{- if .Values.runners.serverUrl }}
{{- .Values.runners.serverUrl }}
{{- else }}
{{- printf "http://%s.%s.svc:%d" (include "assay.fullname" .) .Release.Namespace (int .Values.service.port) }}
{{- end }}
{{- end }}

{{/* Secrets (name and key the server reads) ----------------------------------- */}}

{{- define "assay.mongodbSecretName" -}}
{{- default (include "assay.mongodbName" .) .Values.mongodb.auth.existingSecret }}
{{- end }}

{{- define "assay.storeSecretName" -}}
{{- if .Values.mongodb.enabled }}
{{- default (printf "%s-store" (include "assay.fullname" .)) .Values.mongodb.auth.existingSecret }}
{{- else }}
{{- default (printf "%s-store" (include "assay.fullname" .)) .Values.mongodb.external.existingSecret }}
{{- end }}
{{- end }}

{{- define "assay.storeSecretKey" -}}
{{- if and (not .Values.mongodb.enabled) .Values.mongodb.external.existingSecret }}
{{- .Values.mongodb.external.existingSecretKey }}
{{- else }}
{{- print "store-url" }}
{{- end }}
{{- end }}

{{- define "assay.adminSecretName" -}}
{{- default (printf "%s-admin" (include "assay.fullname" .)) .Values.admin.existingSecret }}
{{- end }}

{{- define "assay.smtpSecretName" -}}
{{- default (printf "%s-smtp" (include "assay.fullname" .)) .Values.smtp.existingSecret }}
{{- end }}

{{/* A value of an existing Secret in the release namespace (base64-decoded), or "".
     lookup answers nothing in `helm template` and dry runs: then a new value is made. */}}
{{- define "assay.existingSecretValue" -}}
{{- $secret := lookup "v1" "Secret" .namespace .name }}
{{- $value := dig "data" .key "" ($secret | default dict) }}
{{- if $value }}{{ $value | b64dec }}{{ end }}
{{- end }}

{{/* Checks that stop a render with a message naming the value --------------- */}}

{{- define "assay.validate" -}}
{{- if .Values.mongodb.enabled }}
{{- if or .Values.mongodb.external.uri .Values.mongodb.external.existingSecret }}
{{- fail "mongodb.external.uri and mongodb.external.existingSecret are used only with mongodb.enabled=false" }}
{{- end }}
{{- else }}
{{- if and .Values.mongodb.external.uri .Values.mongodb.external.existingSecret }}
{{- fail "mongodb.enabled=false: set one of mongodb.external.uri and mongodb.external.existingSecret, not both" }}
{{- end }}
{{- if not (or .Values.mongodb.external.uri .Values.mongodb.external.existingSecret) }}
{{- fail "mongodb.enabled=false needs the store URL: set mongodb.external.existingSecret (a Secret holding the mongodb:// URL) or mongodb.external.uri" }}
{{- end }}
{{- if and .Values.mongodb.external.uri (not (regexMatch "^mongodb(\\+srv)?://" .Values.mongodb.external.uri)) }}
{{- fail "mongodb.external.uri must start with mongodb:// or mongodb+srv://" }}
{{- end }}
{{- end }}
{{- if and .Values.smtp.enabled (not .Values.smtp.existingSecret) (not .Values.smtp.url) }}
{{- fail "smtp.enabled=true needs smtp.url (smtp://host:port) or smtp.existingSecret" }}
{{- end }}
{{- if and .Values.ingress.enabled (not .Values.ingress.host) }}
{{- fail "ingress.enabled=true needs ingress.host" }}
{{- end }}
{{- if and (not .Values.runners.serviceAccount.create) .Values.runners.serviceAccount.name (eq .Values.runners.serviceAccount.name (include "assay.serviceAccountName" .)) }}
{{- fail "runners.serviceAccount.name must not be the server's ServiceAccount: Runner pods get no API access" }}
{{- end }}
{{- end }}

{{/* A node selector map as the executor reads it: "key=value,key2=value2", keys sorted. */}}
{{- define "assay.nodeSelectorList" -}}
{{- $pairs := list }}
{{- range $key := keys . | sortAlpha }}
{{- $pairs = append $pairs (printf "%s=%s" $key (toString (index $ $key))) }}
{{- end }}
{{- join "," $pairs }}
{{- end }}

{{/* NetworkPolicy egress rules: DNS over UDP and TCP; TCP ports to peers (none: anywhere). */}}
{{- define "assay.dnsEgress" -}}
- to:
    {{- toYaml .peers | nindent 4 }}
  ports:
    {{- range .ports }}
    - protocol: UDP
      port: {{ . }}
    - protocol: TCP
      port: {{ . }}
    {{- end }}
{{- end }}
{{- define "assay.portsEgress" -}}
- ports:
    {{- range .ports }}
    - protocol: TCP
      port: {{ . }}
    {{- end }}
  {{- with .peers }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/*
Shared names, labels and pod fragments. Helpers that need more than the root context take a dict with
`root` (the root context) and the extra keys they name.
*/}}

{{/* Prefix of every resource name: fullnameOverride, or the release name. */}}
{{- define "mch.fullname" -}}
{{- default .Release.Name .Values.fullnameOverride | trunc 32 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of every object; dict: root, component. */}}
{{- define "mch.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: mch-alliance
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
app.kubernetes.io/part-of: mch-alliance
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}

{{/* Labels that select one component's pods; dict: root, component. */}}
{{- define "mch.selectorLabels" -}}
app.kubernetes.io/name: mch-alliance
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* The platform image: repository@digest when a digest is set, else repository:tag (tag defaults to appVersion). */}}
{{- define "mch.image" -}}
{{- $repository := required "image.repository is required: the registry and repository of the image built from the repository's Dockerfile (README.md, Values you must set)" .Values.image.repository -}}
{{- if .Values.image.digest -}}
{{ $repository }}@{{ .Values.image.digest }}
{{- else -}}
{{ $repository }}:{{ default .Chart.AppVersion .Values.image.tag }}
{{- end -}}
{{- end -}}

{{/* `<namespace>.svc.<cluster domain>`, the suffix of in-cluster DNS names. */}}
{{- define "mch.svcDomain" -}}
{{ .Release.Namespace }}.svc.{{ .Values.global.clusterDomain }}
{{- end -}}

{{/* Name of the CloudNativePG Cluster. */}}
{{- define "mch.postgresCluster" -}}
{{- default (printf "%s-pg" (include "mch.fullname" .)) .Values.postgres.clusterName -}}
{{- end -}}

{{/* Name of the Secret holding the services' secret keys. */}}
{{- define "mch.appSecret" -}}
{{- default (printf "%s-app" (include "mch.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* A gRPC service's own database role (least privilege: only its schema; the owner runs migrations and sweeps). */}}
{{- define "mch.serviceRole" -}}
{{- printf "%s_%s" .root.Values.postgres.owner .name -}}
{{- end -}}

{{/* The Secret (kubernetes.io/basic-auth) holding a service role's password, for CloudNativePG and the service's pods. */}}
{{- define "mch.serviceRoleSecret" -}}
{{- printf "%s-db-%s" (include "mch.postgresCluster" .root) .name -}}
{{- end -}}

{{/* The CNPG port, fixed by the operator. */}}
{{- define "mch.postgresPort" -}}5432{{- end -}}

{{/* Name of the barman-cloud ObjectStore (plugin method). */}}
{{- define "mch.backupObjectStore" -}}
{{- include "mch.fullname" . }}-pg-backups
{{- end -}}

{{/* gRPC target of a service's pods, resolved to every ready pod (round robin); dict: root, name. */}}
{{- define "mch.grpcAddress" -}}
dns:///{{ include "mch.fullname" .root }}-{{ .name }}-headless.{{ include "mch.svcDomain" .root }}:{{ .root.Values.config.grpcPort }}
{{- end -}}

{{/* `<NAME>_SERVICE_ADDR`; dict: name. */}}
{{- define "mch.addressEnvName" -}}
{{ upper .name }}_SERVICE_ADDR
{{- end -}}

{{/* Space-separated names of the enabled gRPC services that `name` may call (it is in their callers); dict: root, name. */}}
{{- define "mch.callees" -}}
{{- range $callee, $cfg := .root.Values.services -}}
{{- if and (ne $callee "gateway") $cfg.enabled (has $.name $cfg.callers) }}{{ $callee }} {{ end -}}
{{- end -}}
{{- end -}}

{{/* Pod-level security context shared by every platform pod (restricted Pod Security Standard). */}}
{{- define "mch.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
fsGroupChangePolicy: OnRootMismatch
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container security context; the root filesystem is read-only except in the Tilt dev overlay. */}}
{{- define "mch.containerSecurityContext" -}}
allowPrivilegeEscalation: false
privileged: false
readOnlyRootFilesystem: {{ .Values.global.readOnlyRootFilesystem }}
capabilities:
  drop: [ALL]
{{- end -}}

{{/* Stateless pods leave a NotReady or unreachable node (a lost zone) after a short delay. */}}
{{- define "mch.tolerations" -}}
- key: node.kubernetes.io/not-ready
  operator: Exists
  effect: NoExecute
  tolerationSeconds: {{ .Values.global.unreachableTolerationSeconds }}
- key: node.kubernetes.io/unreachable
  operator: Exists
  effect: NoExecute
  tolerationSeconds: {{ .Values.global.unreachableTolerationSeconds }}
{{- end -}}

{{/*
Spread a component's pods over zones (hard or soft, as configured) and softly over nodes. Tainted nodes
(control-plane nodes of the witness zone, nodes of a lost zone) do not count as places to spread to;
dict: root, component.
*/}}
{{- define "mch.topologySpread" -}}
{{- if .root.Values.topology.spread.enabled }}
topologySpreadConstraints:
  - maxSkew: {{ .root.Values.topology.spread.maxSkew }}
    topologyKey: topology.kubernetes.io/zone
    whenUnsatisfiable: {{ .root.Values.topology.spread.whenUnsatisfiable }}
    nodeTaintsPolicy: Honor
    matchLabelKeys: [pod-template-hash]
    labelSelector:
      matchLabels:
        {{- include "mch.selectorLabels" . | nindent 8 }}
  - maxSkew: 1
    topologyKey: kubernetes.io/hostname
    whenUnsatisfiable: ScheduleAnyway
    nodeTaintsPolicy: Honor
    matchLabelKeys: [pod-template-hash]
    labelSelector:
      matchLabels:
        {{- include "mch.selectorLabels" . | nindent 8 }}
{{- end }}
{{- end -}}

{{/* Node affinity to one data zone; dict: root, zone (the topology.kubernetes.io/zone value). */}}
{{- define "mch.zoneAffinity" -}}
{{- if .root.Values.topology.pinDataToZones }}
affinity:
  nodeAffinity:
    requiredDuringSchedulingIgnoredDuringExecution:
      nodeSelectorTerms:
        - matchExpressions:
            - key: topology.kubernetes.io/zone
              operator: In
              values: [{{ .zone | quote }}]
{{- end }}
{{- end -}}

{{/* preStop hook that keeps a terminating pod serving until endpoints and DNS have dropped it. */}}
{{- define "mch.lifecycle" -}}
{{- if gt (int .Values.global.preStopSleepSeconds) 0 }}
lifecycle:
  preStop:
    sleep:
      seconds: {{ .Values.global.preStopSleepSeconds }}
{{- end }}
{{- end -}}

{{/* Volumes every platform pod mounts: a writable /tmp and, with verify-full TLS, the cluster's CA. */}}
{{- define "mch.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: 64Mi
{{- if eq .Values.postgres.sslMode "verify-full" }}
- name: postgres-ca
  secret:
    secretName: {{ include "mch.postgresCluster" . }}-ca
    items:
      - key: ca.crt
        path: ca.crt
{{- end }}
{{- end -}}

{{- define "mch.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if eq .Values.postgres.sslMode "verify-full" }}
- name: postgres-ca
  mountPath: /etc/mch/postgres-ca
  readOnly: true
{{- end }}
{{- end -}}

{{/* Environment of a gRPC service process (its Deployment and its migrations Job); dict: root, name, svc. */}}
{{- define "mch.grpcEnv" -}}
{{- $root := .root -}}
{{- /* @schema $svc #/definitions/grpcService */ -}}
{{- $svc := .svc -}}
- name: SERVICE_NAME
  value: {{ .name }}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: OTEL_RESOURCE_ATTRIBUTES
  value: service.namespace=mch-alliance,k8s.namespace.name=$(POD_NAMESPACE),k8s.pod.name=$(POD_NAME)
# node-postgres takes the user and password from PGUSER and PGPASSWORD (DATABASE_URL carries neither): the
# service's own role (CloudNativePG managed role, postgres.yaml), or the owner role for migrations and sweeps.
{{- if .asOwner }}
- name: PGUSER
  value: {{ $root.Values.postgres.owner }}
- name: PGPASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "mch.postgresCluster" $root }}-app
      key: password
- name: DATABASE_SERVICE_ROLE
  value: {{ include "mch.serviceRole" (dict "root" $root "name" .name) }}
{{- else }}
- name: PGUSER
  value: {{ include "mch.serviceRole" (dict "root" $root "name" .name) }}
- name: PGPASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "mch.serviceRoleSecret" (dict "root" $root "name" .name) }}
      key: password
{{- end }}
{{- include "mch.redisEnv" $root | nindent 0 }}
{{- range $callee := include "mch.callees" (dict "root" $root "name" .name) | trim | splitList " " | compact }}
- name: {{ include "mch.addressEnvName" (dict "name" $callee) }}
  value: {{ include "mch.grpcAddress" (dict "root" $root "name" $callee) }}
{{- end }}
{{- if eq .name "replication" }}
{{- include "mch.replicationEnv" $root | nindent 0 }}
{{- end }}
{{- /* Service identity: identity holds the secret, every other service its own derived credential. */}}
{{- if eq .name "identity" }}
- name: MCH_SERVICE_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ include "mch.appSecret" $root }}
      key: MCH_SERVICE_SECRET
      optional: true
{{- else }}
- name: MCH_SERVICE_CREDENTIAL
  valueFrom:
    secretKeyRef:
      name: {{ include "mch.appSecret" $root }}
      key: MCH_SERVICE_CREDENTIAL_{{ upper .name }}
      # Required: the pod waits for it (CreateContainerConfigError names the key) rather than run without its
      # identity. The chart's service-credentials Job writes it; with secrets.existingSecret you put it there.
{{- end }}
{{- range $key, $value := $svc.env }}
- name: {{ $key }}
  value: {{ $value | quote }}
{{- end }}
{{- range $key := $svc.secretEnv }}
- name: {{ $key }}
  valueFrom:
    secretKeyRef:
      name: {{ include "mch.appSecret" $root }}
      key: {{ $key }}
{{- end }}
{{- end -}}

{{/*
The prometheus.io/* annotations of a pod serving METRICS_PORT (for a Prometheus that scrapes by annotation; the
Prometheus operator uses the PodMonitors of monitoring.yaml instead).
*/}}
{{- define "mch.scrapeAnnotations" -}}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .Values.config.metricsPort | quote }}
prometheus.io/path: /metrics
{{- end -}}

{{/*
What the replication service needs beyond the kit: the HA engine to observe, the durability setting, and
the store agent of each data zone (gRPC StoreAgentService).
*/}}
{{- define "mch.replicationEnv" -}}
- name: HA_ENGINE
  value: cloudnative-pg
- name: POSTGRES_CLUSTER
  value: {{ include "mch.postgresCluster" . }}
- name: MCH_DURABILITY
  value: {{ if eq .Values.postgres.synchronous.dataDurability "required" }}strict{{ else }}available{{ end }}
# The service's zone ids and the node labels of the data zones; CloudNativePG records each instance's label.
- name: CNPG_ZONES
  value: {{ range $index, $zone := .Values.topology.dataZones }}{{ if $index }},{{ end }}az-{{ $zone.name }}={{ $zone.zone }}{{ end }}
{{- if and .Values.objectStore.enabled (eq .Values.objectStore.mode "agents") }}
{{- $fullname := include "mch.fullname" . }}
{{- $svcDomain := include "mch.svcDomain" . }}
{{- $agents := list }}
{{- range $zone := .Values.topology.dataZones }}
{{- $agents = append $agents (printf "%s=%s-objects-%s.%s:%v" $zone.name $fullname $zone.name $svcDomain $.Values.objectStore.agents.port) }}
{{- end }}
- name: OBJECT_STORE_AGENTS
  value: {{ join "," $agents | quote }}
- name: OBJECT_MAX_BYTES
  value: {{ .Values.objectStore.maxBytes | int64 | quote }}
{{- end }}
{{- end -}}

{{/* barman-cloud object store configuration, shared by the in-tree method, the plugin's ObjectStore and recovery. */}}
{{- define "mch.barmanConfiguration" -}}
destinationPath: {{ required "postgres.backup.destinationPath is required for backups and recovery" .Values.postgres.backup.destinationPath | quote }}
{{- if .Values.postgres.backup.endpointURL }}
endpointURL: {{ .Values.postgres.backup.endpointURL | quote }}
{{- end }}
s3Credentials:
  accessKeyId:
    name: {{ required "postgres.backup.s3Credentials.secretName is required for backups and recovery" .Values.postgres.backup.s3Credentials.secretName }}
    key: {{ .Values.postgres.backup.s3Credentials.accessKeyIdKey }}
  secretAccessKey:
    name: {{ .Values.postgres.backup.s3Credentials.secretName }}
    key: {{ .Values.postgres.backup.s3Credentials.secretAccessKeyKey }}
  {{- if .Values.postgres.backup.s3Credentials.regionKey }}
  region:
    name: {{ .Values.postgres.backup.s3Credentials.secretName }}
    key: {{ .Values.postgres.backup.s3Credentials.regionKey }}
  {{- end }}
wal:
  compression: {{ .Values.postgres.backup.compression }}
  maxParallel: 4
data:
  compression: {{ .Values.postgres.backup.compression }}
  jobs: 2
{{- end -}}

{{/* REDIS_URL (and its password) for a container, when the chart runs Redis: the services' cache, the gateway's rate limits. */}}
{{- define "mch.redisEnv" -}}
{{- if .Values.redis.enabled }}
{{- if .Values.redis.auth }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "mch.appSecret" . }}
      key: REDIS_PASSWORD
- name: REDIS_URL
  value: redis://:$(REDIS_PASSWORD)@{{ include "mch.fullname" . }}-redis.{{ include "mch.svcDomain" . }}:{{ .Values.redis.port }}
{{- else }}
- name: REDIS_URL
  value: redis://{{ include "mch.fullname" . }}-redis.{{ include "mch.svcDomain" . }}:{{ .Values.redis.port }}
{{- end }}
{{- end }}
{{- end -}}

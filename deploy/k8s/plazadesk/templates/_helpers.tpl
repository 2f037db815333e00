{{/* The image of every PlazaDesk container: repository and tag (or digest) required. */}}
{{- define "plazadesk.image" -}}
{{- $repo := required "image.repository: the registry path of the image built from deploy/Dockerfile" .Values.image.repository -}}
{{- if .Values.image.digest -}}
{{ $repo }}@{{ .Values.image.digest }}
{{- else -}}
{{ $repo }}:{{ required "image.tag (or image.digest): the build to run" .Values.image.tag }}
{{- end -}}
{{- end }}

{{- define "plazadesk.labels" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/part-of: plazadesk
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end }}

{{- define "plazadesk.selector" -}}
app.kubernetes.io/name: {{ .name }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- end }}

{{/* What every PlazaDesk process reads. */}}
{{- define "plazadesk.env" -}}
- { name: PLAZADESK_NATS_URL, value: {{ .Values.nats.url | quote }} }
- { name: PLAZADESK_STREAM_REPLICAS, value: {{ .Values.nats.streamReplicas | quote }} }
- { name: PLAZADESK_AUTH_JWKS_URL, value: "http://staff/.well-known/jwks.json" }
{{- range $k, $v := .Values.env }}
- { name: {{ $k }}, value: {{ $v | quote }} }
{{- end }}
{{- end }}

{{/* Every PlazaDesk service that has a database. */}}
{{- define "plazadesk.databaseNames" -}}intake dispatch billing survey archive staff notices console{{- end }}

{{/* Each service's database URL, as a file of the pod's secrets volume (its _FILE setting). */}}
{{- define "plazadesk.databaseFiles" -}}
{{- range $name := splitList " " (include "plazadesk.databaseNames" .) }}
- { name: {{ upper $name }}_DATABASE_URL_FILE, value: /run/secrets/plazadesk/{{ $name }}-database-url }
{{- end }}
{{- end }}

{{/* The projected source of those files: every key of the database Secret. */}}
{{- define "plazadesk.databaseSources" -}}
- secret:
    name: {{ .Values.secrets.database }}
    items:
      {{- range $name := splitList " " (include "plazadesk.databaseNames" .) }}
      - { key: {{ $name }}, path: {{ $name }}-database-url }
      {{- end }}
{{- end }}

{{/* The pod-level settings every PlazaDesk pod shares. */}}
{{- define "plazadesk.podSpec" -}}
automountServiceAccountToken: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

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

{{/* Each service's database URL from the Secret (key: the service's name). */}}
{{- define "plazadesk.databases" -}}
{{- range $name := list "intake" "dispatch" "billing" "survey" "archive" "staff" "notices" "console" }}
- name: {{ upper $name }}_DATABASE_URL
  valueFrom: { secretKeyRef: { name: {{ $.Values.secrets.database }}, key: {{ $name }} } }
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

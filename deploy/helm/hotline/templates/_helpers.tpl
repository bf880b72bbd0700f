{{/* vim: set filetype=mustache: */}}

{{/* Chart name, truncated to 63 characters. */}}
{{- define "hotline.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Fully qualified release name, truncated to 63 characters (the service name is appended, so keep room). */}}
{{- define "hotline.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Chart label value. */}}
{{- define "hotline.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels shared by every resource. */}}
{{- define "hotline.labels" -}}
helm.sh/chart: {{ include "hotline.chart" . }}
{{ include "hotline.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: hotline
hotline.95598.cn/tier: {{ .Values.tenancy.tier }}
hotline.95598.cn/tenant: {{ .Values.tenancy.tenant | quote }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels of the release. */}}
{{- define "hotline.selectorLabels" -}}
app.kubernetes.io/name: {{ include "hotline.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
Per-service helpers take a dict: (dict "root" $ "name" "outage-notice" "svc" $svc).
*/}}

{{/* Resource name of one service: <fullname>-<service>. */}}
{{- define "hotline.svcFullname" -}}
{{- printf "%s-%s" (include "hotline.fullname" .root) .name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels of one service's resources. */}}
{{- define "hotline.svcLabels" -}}
{{ include "hotline.labels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Selector labels of one service's pods. */}}
{{- define "hotline.svcSelectorLabels" -}}
{{ include "hotline.selectorLabels" .root }}
app.kubernetes.io/component: {{ .name }}
{{- end -}}

{{/* Env prefix of a service: outage-notice -> OUTAGE_NOTICE_. */}}
{{- define "hotline.envPrefix" -}}
{{- printf "%s_" (.name | replace "-" "_" | upper) -}}
{{- end -}}

{{/* Image reference [registry/]repository:tag; takes (dict "root" $ "repository" r "tag" t). */}}
{{- define "hotline.imageRef" -}}
{{- if .root.Values.image.registry -}}
{{- printf "%s/%s:%s" (trimSuffix "/" .root.Values.image.registry) .repository .tag -}}
{{- else -}}
{{- printf "%s:%s" .repository .tag -}}
{{- end -}}
{{- end -}}

{{/* Image of a service; takes (dict "root" $ "svc" $svc). */}}
{{- define "hotline.image" -}}
{{- include "hotline.imageRef" (dict "root" .root "repository" .svc.repository "tag" (default .root.Chart.AppVersion .root.Values.image.tag)) -}}
{{- end -}}

{{/* ServiceAccount name. */}}
{{- define "hotline.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "hotline.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Path of the JWKS file inside the container, or "". */}}
{{- define "hotline.jwksPath" -}}
{{- if .Values.auth.jwksConfigMap.name -}}
{{- printf "/etc/hotline/jwks/%s" .Values.auth.jwksConfigMap.key -}}
{{- else -}}
{{- .Values.auth.jwksPath -}}
{{- end -}}
{{- end -}}

{{/*
Non-secret settings of one service as a YAML map, keys without the prefix. Used by the ConfigMap
(with the service's prefix) and the provision Job (with provision.envPrefix), so both see the same
values. Takes (dict "root" $ "port" 8101).
*/}}
{{- define "hotline.settings" -}}
{{- $v := .root.Values -}}
HTTP_HOST: "0.0.0.0"
HTTP_PORT: {{ .port | toString | quote }}
KAFKA_BOOTSTRAP_SERVERS: {{ $v.kafka.bootstrapServers | quote }}
KAFKA_SECURITY_PROTOCOL: {{ $v.kafka.securityProtocol | quote }}
{{- if $v.kafka.saslMechanism }}
KAFKA_SASL_MECHANISM: {{ $v.kafka.saslMechanism | quote }}
{{- end }}
KAFKA_FETCH_MAX_WAIT_MS: {{ $v.kafka.fetchMaxWaitMs | toString | quote }}
MONGO_DB_PREFIX: {{ $v.mongo.dbPrefix | quote }}
TIER: {{ $v.tenancy.tier | quote }}
HOSTED_TENANTS: {{ toJson $v.tenancy.hostedTenants | quote }}
AUTH_ISSUER: {{ $v.auth.issuer | quote }}
AUTH_AUDIENCE: {{ $v.auth.audience | quote }}
{{- if $v.auth.jwksUrl }}
AUTH_JWKS_URL: {{ $v.auth.jwksUrl | quote }}
{{- end }}
{{- with (include "hotline.jwksPath" .root) }}
AUTH_JWKS_PATH: {{ . | quote }}
{{- end }}
LOG_LEVEL: {{ $v.logLevel | quote }}
{{- end -}}

{{/*
Secret-backed env entries (MONGO_URI and the Kafka SASL credentials) for a prefix.
Takes (dict "root" $ "prefix" "INTAKE_"). The chart never holds a secret value.
*/}}
{{- define "hotline.secretEnv" -}}
{{- $v := .root.Values -}}
- name: {{ .prefix }}MONGO_URI
  valueFrom:
    secretKeyRef:
      name: {{ $v.mongo.existingSecret | quote }}
      key: {{ $v.mongo.uriKey | quote }}
{{- if $v.kafka.credentials.existingSecret }}
- name: {{ .prefix }}KAFKA_SASL_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $v.kafka.credentials.existingSecret | quote }}
      key: {{ $v.kafka.credentials.usernameKey | quote }}
- name: {{ .prefix }}KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $v.kafka.credentials.existingSecret | quote }}
      key: {{ $v.kafka.credentials.passwordKey | quote }}
{{- end }}
{{- end -}}

{{/* Volumes every pod mounts: /tmp (emptyDir) and the optional JWKS ConfigMap. */}}
{{- define "hotline.volumes" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpSizeLimit }}
{{- if .Values.auth.jwksConfigMap.name }}
- name: jwks
  configMap:
    name: {{ .Values.auth.jwksConfigMap.name | quote }}
{{- end }}
{{- end -}}

{{- define "hotline.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.auth.jwksConfigMap.name }}
- name: jwks
  mountPath: /etc/hotline/jwks
  readOnly: true
{{- end }}
{{- end -}}

{{/*
Checks no schema can express: the tenant code's length matches the tier, every hosted tenant is
the tenant or below it, the parent is the tenant's parent, and SASL settings are complete.
*/}}
{{- define "hotline.validate" -}}
{{- $t := .Values.tenancy -}}
{{- $want := dict "province" 2 "city" 4 "county" 6 -}}
{{- if ne (len $t.tenant) (get $want $t.tier) -}}
{{- fail (printf "tenancy.tenant %q is not a %s code (%d digits)" $t.tenant $t.tier (get $want $t.tier)) -}}
{{- end -}}
{{- range $t.hostedTenants -}}
{{- if not (hasPrefix $t.tenant .) -}}
{{- fail (printf "tenancy.hostedTenants: %q is not %q or below it" . $t.tenant) -}}
{{- end -}}
{{- end -}}
{{- if not (has $t.tenant $t.hostedTenants) -}}
{{- fail (printf "tenancy.hostedTenants must include the deployment's own tenant %q" $t.tenant) -}}
{{- end -}}
{{- if eq $t.tier "province" -}}
{{- if $t.parent.tenant -}}
{{- fail "tenancy.parent.tenant must be empty for the province tier" -}}
{{- end -}}
{{- else if ne $t.parent.tenant (trunc (int (sub (len $t.tenant) 2)) $t.tenant) -}}
{{- fail (printf "tenancy.parent.tenant must be %q (the parent of %q)" (trunc (int (sub (len $t.tenant) 2)) $t.tenant) $t.tenant) -}}
{{- end -}}
{{- range $code, $url := $t.children -}}
{{- if ne (len $code) (add (len $t.tenant) 2) -}}
{{- fail (printf "tenancy.children: %q is not a direct child of %q" $code $t.tenant) -}}
{{- else if not (hasPrefix $t.tenant $code) -}}
{{- fail (printf "tenancy.children: %q is not a direct child of %q" $code $t.tenant) -}}
{{- end -}}
{{- end -}}
{{- if hasPrefix "SASL" .Values.kafka.securityProtocol -}}
{{- if not .Values.kafka.saslMechanism -}}
{{- fail "kafka.saslMechanism is required with a SASL security protocol" -}}
{{- end -}}
{{- if not .Values.kafka.credentials.existingSecret -}}
{{- fail "kafka.credentials.existingSecret is required with a SASL security protocol" -}}
{{- end -}}
{{- end -}}
{{- $any := false -}}
{{- range $name, $svc := .Values.services -}}
{{- if $svc.enabled }}{{ $any = true }}{{ end -}}
{{- if and $svc.autoscaling.enabled (gt (int $svc.autoscaling.minReplicas) (int $svc.autoscaling.maxReplicas)) -}}
{{- fail (printf "services.%s.autoscaling: minReplicas is greater than maxReplicas" $name) -}}
{{- end -}}
{{- end -}}
{{- if not $any -}}
{{- fail "no service is enabled" -}}
{{- end -}}
{{- if and .Values.provision.enabled (not (get .Values.services .Values.provision.imageFrom).enabled) -}}
{{- fail (printf "provision.imageFrom %q names a disabled service" .Values.provision.imageFrom) -}}
{{- end -}}
{{- end -}}

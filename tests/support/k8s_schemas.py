"""Kubernetes API shapes (a subset, closed where we use them) for the manifests in deploy/k8s."""

from __future__ import annotations

from tests.support.schema import Schema

STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
BOOL: Schema = {"type": "boolean"}
NAME: Schema = {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"}
QUANTITY: Schema = {"type": ["string", "integer"], "pattern": r"^[0-9.]+(m|Ki|Mi|Gi|Ti)?$"}
LABELS: Schema = {"type": "object", "additionalProperties": STR}
PORT_REF: Schema = {"type": ["integer", "string"]}

METADATA: Schema = {"type": "object", "required": ["name"], "properties": {
    "name": NAME, "namespace": NAME, "labels": LABELS, "annotations": LABELS}}

_PROBE_TIMING = {k: INT for k in ("initialDelaySeconds", "periodSeconds", "timeoutSeconds",
                                  "failureThreshold", "successThreshold")}
PROBE: Schema = {"type": "object", "properties": {
    "httpGet": {"type": "object", "required": ["port"], "properties": {
        "path": STR, "port": PORT_REF, "scheme": {"enum": ["HTTP", "HTTPS"]}}},
    "grpc": {"type": "object", "required": ["port"], "properties": {"port": INT, "service": STR}},
    "tcpSocket": {"type": "object", "required": ["port"], "properties": {"port": PORT_REF}},
    **_PROBE_TIMING}}

ENV_VAR: Schema = {"type": "object", "required": ["name"], "properties": {
    "name": {"type": "string", "pattern": r"^[A-Za-z_][A-Za-z0-9_]*$"}, "value": STR,
    "valueFrom": {"type": "object", "properties": {
        "secretKeyRef": {"type": "object", "required": ["name", "key"],
                         "properties": {"name": NAME, "key": STR, "optional": BOOL}},
        "configMapKeyRef": {"type": "object", "required": ["name", "key"],
                            "properties": {"name": NAME, "key": STR, "optional": BOOL}}}}}}

RESOURCES: Schema = {"type": "object", "properties": {
    "requests": {"type": "object", "properties": {"cpu": QUANTITY, "memory": QUANTITY}},
    "limits": {"type": "object", "properties": {"cpu": QUANTITY, "memory": QUANTITY}}}}

CONTAINER: Schema = {"type": "object", "required": ["name", "image"], "properties": {
    "name": NAME, "image": STR, "command": {"type": "array", "items": STR},
    "args": {"type": "array", "items": STR},
    "imagePullPolicy": {"enum": ["Always", "IfNotPresent", "Never"]},
    "ports": {"type": "array", "items": {"type": "object", "required": ["containerPort"],
                                         "properties": {"name": STR, "containerPort": INT,
                                                        "protocol": {"enum": ["TCP", "UDP"]}}}},
    "env": {"type": "array", "items": ENV_VAR},
    "startupProbe": PROBE, "readinessProbe": PROBE, "livenessProbe": PROBE,
    "resources": RESOURCES,
    "securityContext": {"type": "object", "properties": {
        "allowPrivilegeEscalation": BOOL, "readOnlyRootFilesystem": BOOL,
        "runAsNonRoot": BOOL, "runAsUser": INT,
        "capabilities": {"type": "object", "properties": {
            "drop": {"type": "array", "items": STR}, "add": {"type": "array", "items": STR}}}}},
    "volumeMounts": {"type": "array", "items": {"type": "object",
                                                "required": ["name", "mountPath"],
                                                "properties": {"name": NAME, "mountPath": STR,
                                                               "readOnly": BOOL,
                                                               "subPath": STR}}}}}

VOLUME: Schema = {"type": "object", "required": ["name"], "properties": {
    "name": NAME, "emptyDir": {"type": "object", "open": True},
    "configMap": {"type": "object", "required": ["name"], "properties": {"name": NAME}},
    "secret": {"type": "object", "required": ["secretName"], "properties": {"secretName": NAME}}}}

POD_SPEC: Schema = {"type": "object", "required": ["containers"], "properties": {
    "containers": {"type": "array", "items": CONTAINER},
    "volumes": {"type": "array", "items": VOLUME},
    "terminationGracePeriodSeconds": INT,
    "securityContext": {"type": "object", "properties": {
        "runAsNonRoot": BOOL, "runAsUser": INT, "runAsGroup": INT, "fsGroup": INT,
        "seccompProfile": {"type": "object", "required": ["type"], "properties": {
            "type": {"enum": ["RuntimeDefault", "Localhost", "Unconfined"]}}}}},
    "affinity": {"type": "object", "open": True}}}

DEPLOYMENT: Schema = {"type": "object", "required": ["apiVersion", "kind", "metadata", "spec"],
                      "properties": {
    "apiVersion": {"enum": ["apps/v1"]}, "kind": {"enum": ["Deployment"]}, "metadata": METADATA,
    "spec": {"type": "object", "required": ["selector", "template"], "properties": {
        "replicas": INT,
        "selector": {"type": "object", "required": ["matchLabels"],
                     "properties": {"matchLabels": LABELS}},
        "strategy": {"type": "object", "properties": {
            "type": {"enum": ["RollingUpdate", "Recreate"]},
            "rollingUpdate": {"type": "object", "properties": {
                "maxUnavailable": PORT_REF, "maxSurge": PORT_REF}}}},
        "template": {"type": "object", "required": ["spec"], "properties": {
            "metadata": {"type": "object", "properties": {"labels": LABELS,
                                                          "annotations": LABELS}},
            "spec": POD_SPEC}}}}}}

SERVICE: Schema = {"type": "object", "required": ["apiVersion", "kind", "metadata", "spec"],
                   "properties": {
    "apiVersion": {"enum": ["v1"]}, "kind": {"enum": ["Service"]}, "metadata": METADATA,
    "spec": {"type": "object", "required": ["ports"], "properties": {
        "type": {"enum": ["ClusterIP", "NodePort", "LoadBalancer"]}, "selector": LABELS,
        "ports": {"type": "array", "items": {"type": "object", "required": ["port"],
                                             "properties": {
            "name": NAME, "port": INT, "targetPort": PORT_REF,
            "protocol": {"enum": ["TCP", "UDP"]}, "appProtocol": STR}}}}}}}

CONFIG_MAP: Schema = {"type": "object", "required": ["apiVersion", "kind", "metadata", "data"],
                      "properties": {
    "apiVersion": {"enum": ["v1"]}, "kind": {"enum": ["ConfigMap"]}, "metadata": METADATA,
    "data": {"type": "object", "additionalProperties": STR}}}

SECRET: Schema = {"type": "object", "required": ["apiVersion", "kind", "metadata"],
                  "properties": {
    "apiVersion": {"enum": ["v1"]}, "kind": {"enum": ["Secret"]}, "metadata": METADATA,
    "type": STR, "stringData": {"type": "object", "additionalProperties": STR},
    "data": {"type": "object", "additionalProperties": STR}}}

KUSTOMIZATION: Schema = {"type": "object", "required": ["resources"], "properties": {
    "apiVersion": STR, "kind": {"enum": ["Kustomization"]},
    "resources": {"type": "array", "items": STR}}}

BY_KIND = {"Deployment": DEPLOYMENT, "Service": SERVICE, "ConfigMap": CONFIG_MAP,
           "Secret": SECRET, "Kustomization": KUSTOMIZATION}

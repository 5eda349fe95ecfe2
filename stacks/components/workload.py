"""One application on the cluster: hardened Deployment, ClusterIP Service, PACS storage config."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from stacks.components import kube
from stacks.model import Workload

SIZES: dict[str, dict[str, Any]] = {
    "default": {
        "requests": {"cpu": "250m", "memory": "256Mi"},
        "limits": {"cpu": "1", "memory": "1Gi"},
    },
    "pacs": {
        "requests": {"cpu": "500m", "memory": "1Gi"},
        "limits": {"cpu": "2", "memory": "4Gi"},
    },
}


def size_of(workload: Workload) -> dict[str, Any]:
    return SIZES.get(workload.kind, SIZES["default"])


@dataclass(frozen=True)
class S3Target:
    """Where a workload keeps objects: bucket, TLS endpoint and the credentials Secret."""

    bucket: str
    endpoint: str
    region: str
    access_key: pulumi.Input[str]
    secret_key: pulumi.Input[str]


@dataclass(frozen=True)
class WorkloadArgs:
    workload: Workload
    namespace: str
    environment: str
    provider: k8s.Provider
    where: str
    s3: S3Target | None = None
    node_zone: str | None = None
    """Run only on nodes labelled with this zone (``kube.LABEL_ZONE``), those of the zone's pool."""


def orthanc_config(workload: Workload) -> dict[str, Any]:
    """Orthanc main configuration: HTTP and DICOM over TLS, authentication on."""
    return {
        "Name": f"mlps-{workload.name}",
        "StorageDirectory": "/var/lib/orthanc/db",
        "IndexDirectory": "/var/lib/orthanc/db",
        "HttpPort": workload.port,
        "SslEnabled": workload.tls,
        "SslCertificate": "/etc/orthanc/tls/tls.pem",
        "AuthenticationEnabled": True,
        "RemoteAccessAllowed": True,
        "DicomTlsEnabled": True,
        "DicomTlsCertificate": "/etc/orthanc/tls/tls.crt",
        "DicomTlsPrivateKey": "/etc/orthanc/tls/tls.key",
        "DicomTlsTrustedCertificates": "/etc/orthanc/tls/ca.crt",
        "Plugins": ["/usr/share/orthanc/plugins"],
    }


def s3_storage_config(s3: S3Target, access_key: str, secret_key: str) -> str:
    """The Orthanc S3 plugin section (with its keys, hence kept in a Secret)."""
    return json.dumps(
        {
            "AwsS3Storage": {
                "BucketName": s3.bucket,
                "Region": s3.region,
                "Endpoint": s3.endpoint,
                "AccessKey": access_key,
                "SecretKey": secret_key,
                "VirtualAddressing": False,
                "StorageStructure": "flat",
                "EnableAwsSdkLogs": False,
            }
        },
        indent=2,
        sort_keys=True,
    )


class WorkloadDeployment(pulumi.ComponentResource):
    """Deployment + Service (+ ConfigMap and credentials Secret for a PACS)."""

    def __init__(self, name: str, args: WorkloadArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlps:k8s:Workload", name, None, opts)
        w = args.workload
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        labels = {
            kube.LABEL_APP: w.name,
            kube.LABEL_ENV: args.environment,
            kube.LABEL_DATA: w.data_class,
        }
        meta = {"name": w.name, "namespace": args.namespace, "labels": labels}
        volumes: list[dict[str, Any]] = [
            {"name": "tmp", "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
            {"name": "tls", "secret": {"secretName": f"{w.name}-tls"}},
        ]
        mounts: list[dict[str, Any]] = [
            {"name": "tmp", "mountPath": "/tmp"},  # noqa: S108  the container's own emptyDir
            {"name": "tls", "mountPath": "/etc/tls", "readOnly": True},
        ]
        args_: list[str] = []
        if w.kind == "pacs" and args.s3 is not None:
            self._pacs(name, w, args, meta, child, volumes, mounts)
            args_ = ["/etc/orthanc/"]
        container: dict[str, Any] = {
            "name": w.name,
            "image": w.image,
            "imagePullPolicy": "Always",
            "ports": [{"name": "https" if w.tls else "http", "containerPort": w.port}],
            "resources": size_of(w),
            "securityContext": kube.container_security_context(),
            "volumeMounts": mounts,
            **kube.tcp_probes(w.port),
        }
        if args_:
            container["args"] = args_
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}-deployment",
            metadata={**meta, "annotations": kube.image_annotations(w.image, args.where)},
            spec={
                "replicas": w.replicas,
                "selector": {"matchLabels": {kube.LABEL_APP: w.name}},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "automountServiceAccountToken": False,
                        "securityContext": kube.pod_security_context(),
                        "containers": [container],
                        "volumes": volumes,
                        **({"nodeSelector": {kube.LABEL_ZONE: args.node_zone}} if args.node_zone else {}),
                    },
                },
            },
            opts=child,
        )
        self.service = k8s.core.v1.Service(
            f"{name}-service",
            metadata=meta,
            spec={
                "type": "ClusterIP",
                "selector": {kube.LABEL_APP: w.name},
                "ports": [
                    {
                        "name": "https" if w.tls else "http",
                        "port": kube.service_port(w),
                        "targetPort": w.port,
                        "protocol": "TCP",
                    }
                ],
            },
            opts=child,
        )
        self.register_outputs({"namespace": args.namespace, "name": w.name})

    def _pacs(
        self,
        name: str,
        w: Workload,
        args: WorkloadArgs,
        meta: dict[str, Any],
        child: pulumi.ResourceOptions,
        volumes: list[dict[str, Any]],
        mounts: list[dict[str, Any]],
    ) -> None:
        s3 = args.s3
        if s3 is None:
            raise ValueError(f"workload {w.name} keeps objects but has no S3 target")
        config = orthanc_config(w)
        storage: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.all(s3.access_key, s3.secret_key).apply(
                lambda keys: s3_storage_config(s3, keys[0], keys[1])
            )
        )
        self.config = k8s.core.v1.ConfigMap(
            f"{name}-config",
            metadata={**meta, "name": f"{w.name}-config"},
            data={"orthanc.json": json.dumps(config, indent=2, sort_keys=True)},
            opts=child,
        )
        self.credentials = k8s.core.v1.Secret(
            f"{name}-s3-credentials",
            metadata={
                **meta,
                "name": f"{w.name}-s3-credentials",
                "annotations": {
                    "mlps.dev/s3-endpoint": s3.endpoint,
                    "mlps.dev/s3-bucket": s3.bucket,
                },
            },
            type="Opaque",
            string_data={"s3-storage.json": storage},
            opts=child,
        )
        volumes += [
            {"name": "config", "configMap": {"name": f"{w.name}-config"}},
            {"name": "s3", "secret": {"secretName": f"{w.name}-s3-credentials"}},
            {"name": "index", "emptyDir": {"sizeLimit": "10Gi"}},
        ]
        mounts += [
            {"name": "config", "mountPath": "/etc/orthanc/orthanc.json", "subPath": "orthanc.json"},
            {
                "name": "s3",
                "mountPath": "/etc/orthanc/s3-storage.json",
                "subPath": "s3-storage.json",
                "readOnly": True,
            },
            {"name": "index", "mountPath": "/var/lib/orthanc/db"},
            {"name": "tls", "mountPath": "/etc/orthanc/tls", "readOnly": True},
        ]

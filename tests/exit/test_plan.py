"""mlps exit plan: the on-prem spec, the copy-time estimate and the capacity check (CLD-MIG-01)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from mlps.exit.plan import (
    DAY_SECONDS,
    GIB,
    Capacity,
    capacity_problem,
    capacity_warning,
    cloud_buckets,
    declared_capacity,
    duration,
    needed_bytes,
    onprem_spec,
    time_warning,
    transfer_times,
)
from mlps.spec import check_shape, load_spec, spec_from_config
from mlps.validate import validate

ROOT = Path(__file__).resolve().parents[2]
HYBRID = ROOT / "Pulumi.hybrid-prod.yaml"


def test_every_cloud_part_moves_onprem_and_the_spec_validates() -> None:
    loaded = load_spec(HYBRID)
    target, moved = onprem_spec(loaded.data)
    assert target["layout"] == "onprem" and target["name"] == "hybrid-prod-onprem"
    assert all(z["placement"] == "onprem" for z in target["zones"])
    assert all(w["placement"] == "onprem" for w in target["workloads"])
    assert not cloud_buckets(target)
    assert "zone dmz" in moved and "host cloud-bastion-1" in moved
    before = {b["name"]: b for b in loaded.data["object_storage"]["buckets"]}
    for bucket in target["object_storage"]["buckets"]:
        assert bucket["versioning"] == before[bucket["name"]]["versioning"]
        assert bucket["object_lock"] == before[bucket["name"]]["object_lock"]
        assert bucket["encryption"] != "none"
    assert loaded.data["layout"] == "hybrid"  # the input is not changed
    result = validate(spec_from_config(target, "target"), level=loaded.level)
    assert not result.failed, [f.control for f in result.findings]


def test_copy_time_uses_download_bandwidth_and_warns_for_days() -> None:
    data = {"links": [{"name": "b", "role": "backup", "bandwidth_mbps": {"up": 1000, "down": 100}},
                      {"name": "a", "role": "primary", "bandwidth_mbps": {"up": 1000, "down": 200}}]}
    times = transfer_times(10**12, data, efficiency=1.0)  # 1 TB
    assert times[0].name == "a" and times[0].seconds == 10**12 * 8 / 200e6
    assert times[1].mbps == 300
    assert time_warning(times[0].seconds) is not None and "days" in (time_warning(DAY_SECONDS) or "")
    assert time_warning(3600) is None
    assert "night" in (time_warning(9 * 3600) or "")
    assert transfer_times(10, {}) == []
    assert duration(2 * DAY_SECONDS + 3 * 3600) == "2d 3h" and duration(42) == "42s"


def test_capacity_counts_replicas_and_fails_one_byte_over() -> None:
    cap = Capacity(25, "--capacity-gb")
    needed = needed_bytes([(10 * GIB, 2), (GIB // 2, 3)])  # 20 GiB + 1.5 GiB
    assert needed == 43 * GIB // 2
    assert capacity_problem(needed, cap) is None
    assert capacity_problem(25 * GIB, cap) is None  # just fits
    over = capacity_problem(25 * GIB + 1, cap)  # one byte over
    assert over is not None and f"needs {25 * GIB + 1} bytes" in over and "25 GiB" in over
    assert capacity_problem(GIB, None) is None
    assert needed_bytes([(GIB, 0)]) == GIB  # replicas below 1 count as one copy


def test_capacity_warns_when_the_copy_fills_the_store() -> None:
    cap = Capacity(100, "--capacity-gb")
    assert capacity_warning(85 * GIB, cap) is None
    assert "fills 85% of 100 GiB" in (capacity_warning(85 * GIB + 1, cap) or "")
    assert capacity_warning(100 * GIB + 1, cap) is None  # that one fails instead


def test_capacity_declared_by_onprem_object_storage_hosts() -> None:
    data = {"zones": [{"name": "storage", "placement": "onprem"}, {"name": "vpc", "placement": "cloud"}],
            "hosts": [{"name": "s3-1", "zone": "storage", "roles": ["object_storage"], "capacity_gb": 1000},
                      {"name": "s3-2", "zone": "storage", "roles": ["object_storage"], "capacity_gb": 500.5},
                      {"name": "s3-3", "zone": "storage", "roles": ["object_storage"]},
                      {"name": "oss-gw", "zone": "vpc", "roles": ["object_storage"], "capacity_gb": 9999},
                      {"name": "db", "zone": "storage", "roles": ["baseline"], "capacity_gb": 9999}]}
    cap = declared_capacity(data)
    assert cap is not None and cap.gib == 1500.5 and cap.undeclared == ["s3-3"]
    assert "s3-1, s3-2" in cap.source
    assert capacity_problem(int(1500.5 * GIB), cap) is None
    assert capacity_problem(int(1500.5 * GIB) + 1, cap) is not None
    assert declared_capacity(load_spec(HYBRID).data) is None  # the example declares none


def test_capacity_field_is_in_the_schema() -> None:
    data = load_spec(HYBRID).data
    host = next(h for h in data["hosts"] if "object_storage" in h["roles"])
    host["capacity_gb"] = 4096
    assert not check_shape(data)
    host["capacity_gb"] = 0
    assert check_shape(data)


def test_plan_writes_marked_output_and_refuses_foreign_directory(tmp_path: Path) -> None:
    out = tmp_path / "plan"
    done = subprocess.run([sys.executable, "-m", "mlps", "exit", "plan", "--spec", str(HYBRID),
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    written = out / "Pulumi.hybrid-prod-onprem.yaml"
    assert load_spec(written).data["layout"] == "onprem"
    assert (out / ".mlps-output").is_file()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    refused = subprocess.run([sys.executable, "-m", "mlps", "exit", "plan", "--spec", str(HYBRID),
                              "--out", str(foreign)], cwd=ROOT, capture_output=True, text=True,
                             timeout=120, check=False)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert (foreign / "notes.txt").read_text() == "keep"


def test_unreachable_endpoint_is_one_line_exit_2(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once we leave: nothing listens there
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "AWS_ACCESS_KEY_ID": "x",
           "AWS_SECRET_ACCESS_KEY": "y", "AWS_CONFIG_FILE": "/dev/null",
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true"}
    done = subprocess.run([sys.executable, "-m", "mlps", "exit", "run", "--source-endpoint",
                           f"http://127.0.0.1:{port}", "--target-endpoint", f"http://127.0.0.1:{port}",
                           "--journal", str(tmp_path / "j.sqlite")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "cannot connect" in done.stderr, done.stderr
    assert "y" not in done.stderr.split("—")[0].split(":")[-1]  # the secret is never echoed

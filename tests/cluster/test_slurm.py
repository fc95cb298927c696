"""The SLURM profile for real: a single-node cluster on this machine (scripts/slurm-local.sh), the
tiny DAG submitted job by job with sbatch, and the same metrics as a local run."""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from pandas.testing import assert_frame_equal

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts/slurm-local.sh"
PROFILE = ROOT / "profiles/slurm/config.yaml"
PARTITION = "gpu"  # the partition slurm-local.sh creates and the profile names
SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+) \(log: (.+?)\)")


def why_slurm_cannot_run() -> str | None:
    if os.geteuid() != 0:
        return "a local SLURM cluster needs root (apt-get, slurmctld and slurmd run as root)"
    have_slurm = all(shutil.which(t) for t in ("slurmctld", "slurmd", "sbatch", "munged"))
    if not have_slurm and shutil.which("apt-get") is None:
        return "slurm-wlm and munge are not installed and apt-get is not available to install them"
    return None


@pytest.fixture(scope="module")
def slurm_cluster():
    """A running single-node cluster; its daemons stop afterwards, pass or fail."""
    reason = why_slurm_cannot_run()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the SLURM test, but {reason}")
        pytest.skip(reason)
    env = {**os.environ, "SLURM_LOCAL_PARTITION": PARTITION}
    try:
        started = subprocess.run([str(SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=900)
        assert started.returncode == 0, f"slurm-local.sh start failed:\n{started.stdout}\n{started.stderr}"
        yield
    finally:
        subprocess.run([str(SCRIPT), "stop"], env=env, capture_output=True, text=True, timeout=120)


def node_memory_mb() -> int:
    out = subprocess.run(["sinfo", "-h", "-N", "-o", "%m"], check=True, capture_output=True, text=True).stdout
    return int(out.split()[0].rstrip("+"))


def local_profile(dest: Path) -> Path:
    """profiles/slurm adapted to this one-node cluster in the ways a site would adapt it: no job
    accounting (so no account, and squeue for status), memory capped at what the node has, and
    quick status polling and kept logs for the test."""
    profile = copy.deepcopy(yaml.safe_load(PROFILE.read_text()))
    assert profile["executor"] == "slurm" and profile["set-resources"]["train_model"]["gpu"] == 1
    profile["default-resources"].pop("slurm_account")
    profile["default-resources"]["slurm_partition"] = PARTITION
    cap = node_memory_mb()
    for resources in [profile["default-resources"], *profile["set-resources"].values()]:
        if "mem_mb" in resources:
            resources["mem_mb"] = f"min({resources['mem_mb']}, {cap})"
    profile.update({
        "slurm-status-command": "squeue",
        # The executor polls after 6 s, then 10 s longer each time until a job has ended: 6, 22, 48 s
        # after a submission, which suits this DAG's jobs of 10 to 20 s.
        "slurm-init-seconds-before-status-checks": 6,
        "slurm-keep-successful-logs": True,
        "latency-wait": 5,
        "retries": 0,
    })
    dest.mkdir(parents=True)
    (dest / "config.yaml").write_text(yaml.safe_dump(profile))
    return dest


def scontrol_job(slurm_id: str) -> str:
    return subprocess.run(["scontrol", "show", "job", "--oneliner", slurm_id], check=True, capture_output=True,
                          text=True).stdout


def test_tiny_dag_through_slurm_matches_a_local_run(slurm_cluster, tiny_dag, reference_metrics, tmp_path):
    work = tiny_dag.workdir(tmp_path / "work")
    profile = local_profile(tmp_path / "profile")
    # PATH with the virtualenv's bin/ reaches every job: the executor submits with sbatch --export=ALL.
    proc = tiny_dag.run(tiny_dag.snakemake("--profile", str(profile)), work, timeout=1200)
    said = proc.stdout + proc.stderr

    stats = re.search(r"^total\s+(\d+)$", said, re.MULTILINE)
    assert stats, said[-3000:]
    submitted = SUBMITTED.findall(said)
    assert len(submitted) == int(stats.group(1)) - 1, said[-3000:]  # every job but the target rule `all`
    assert len({slurm_id for _, slurm_id, _ in submitted}) == len(submitted)
    assert re.findall(r"^localrule (\w+):", said, re.MULTILINE) == ["all"]

    rules = []
    for _, slurm_id, log in submitted:
        job = scontrol_job(slurm_id)
        rule = re.search(r"Comment=rule_(\w+?)(?:_wildcards_\S*)?(?:\s|$)", job).group(1)
        rules.append(rule)
        assert "JobState=COMPLETED" in job and f"Partition={PARTITION}" in job, job
        assert ("gres:gpu:1" in job) == (rule == "train_model"), job  # a GPU for training jobs only
        assert Path(log).is_file() and Path(log).stem == slurm_id
    assert rules.count("train_model") == 2 and "evaluate_model" not in rules
    assert {"generate_corpus", "prepare_corpus", "collect_metrics", "figures", "report"} <= set(rules)

    assert_frame_equal(tiny_dag.metric_table(work), reference_metrics)
    assert (work / "results/report/index.html").is_file()

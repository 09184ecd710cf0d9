"""A job submitted to a real two-node Ray cluster on this machine: a head and a second node, each a `ray start`
process of its own (own temp dir, ports, 1 CPU), started and stopped here; both nodes answer shards. The drivers
run as subprocesses with the cluster's token (cluster.env), as a user submits a job from a shell."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
JOB = """
import json, sys
from taglens.scale.ray_jobs import suggest_job
print(json.dumps(suggest_job(sys.argv[1], sys.argv[2], "taglens-base", 3, address=sys.argv[3], shard_bytes=500)))
"""


def test_a_job_on_a_two_node_cluster_uses_both_nodes(ray_module, posts_dir, tmp_path):
    from taglens.scale.local_cluster import LocalCluster
    from taglens.scale.shards import read_table

    # the nodes' workers import this checkout's taglens, as an installed one on a real cluster
    env = {"PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))}
    with LocalCluster(nodes=2, cpus_per_node=1, env=env) as cluster:
        job = subprocess.run([sys.executable, "-c", JOB, str(posts_dir / "posts.jsonl"), str(tmp_path / "out"),
                              cluster.address], capture_output=True, text=True, env=cluster.env, timeout=600)
        cli = subprocess.run([sys.executable, "-m", "taglens", "suggest", "--batch", str(posts_dir / "good.jsonl"),
                              "--out", str(tmp_path / "cli"), "--engine", "ray", "--address", cluster.address,
                              "-k", "3"], capture_output=True, text=True, env=cluster.env, timeout=600)
        pids = [p.pid for p in cluster.procs]
    assert job.returncode == 0, job.stderr[-3000:]
    assert cli.returncode == 0 and "on 1 node(s)" in cli.stderr, cli.stderr[-3000:]  # one shard: one node
    result = json.loads(job.stdout.strip().splitlines()[-1])
    assert len(result["nodes"]) == 2  # the per-shard statistics name the node that wrote each shard
    per_node = {node: [s["shard"] for s in result["stats"] if s["node"] == node] for node in result["nodes"]}
    assert all(per_node.values()) and sorted(sum(per_node.values(), [])) == list(range(result["shards"]))
    assert result["rows"] == 16 and result["errors"] == 4
    assert len(read_table(str(tmp_path / "out"))) == 16
    assert json.loads((tmp_path / "out" / "_job.json").read_text())["shards"] == result["shards"]
    # the nodes and everything they started are gone (zombies aside: this machine's init may reap them late)
    assert not _live_groups(set(map(str, pids)))


def _live_groups(groups: set[str], wait: float = 20.0) -> set[str]:
    """The process groups of ``groups`` that still hold a running process after up to ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while True:
        ps = subprocess.run(["ps", "-eo", "pgid=,stat="], capture_output=True, text=True).stdout.splitlines()
        live = {line.split()[0] for line in ps if not line.split()[1].startswith("Z")} & groups
        if not live or time.monotonic() > deadline:
            return live
        time.sleep(0.5)

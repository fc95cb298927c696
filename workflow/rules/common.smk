# Configuration checks and the helpers every rule file uses. The config is validated before
# any job runs by rnnlab (schema + model registry, one message naming each bad key), which also
# fills in the schema's defaults (CFG.filled); the schema's analysis section is built from the
# analyses' records, so rnnlab loads it, not Snakemake's validate.
import json
import sys

from rnnlab import layout
from rnnlab.config import from_dict
from rnnlab.workflow import Plan

CFG = from_dict(config, "config")
PLAN = Plan(CFG)

# Training jobs still running (those of a Snakemake that was killed) are named here, before
# Snakemake's lock and incomplete-output checks, which onstart would come after.
if workflow.is_main_process:
    PLAN.refuse_while_training(sys.argv)


wildcard_constraints:
    corpus=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    model=r"[a-z]+(-[A-Za-z0-9]+)*",
    seed=r"\d+",


def corpus_priority(wildcards):
    """Scheduling priority of a corpus's jobs (corpus, training, analysis): ``Plan.priority``."""
    return PLAN.priority(wildcards.corpus)

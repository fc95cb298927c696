# Configuration checks and the helpers every rule file uses. The config is validated before
# any job runs by rnnlab (schema + model registry, one message naming each bad key); then the
# schema's defaults are filled in (the schema's analysis section is built from the analyses'
# records, so rnnlab loads it, not Snakemake's validate).
import json

from rnnlab.config import fill_defaults, from_dict
from rnnlab.workflow import Plan

CFG = from_dict(config, "config")
fill_defaults(config)
PLAN = Plan(CFG)


wildcard_constraints:
    corpus=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    model=r"[a-z]+(-[A-Za-z0-9]+)*",
    seed=r"\d+",

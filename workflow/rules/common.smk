# Configuration checks and the helpers every rule file uses. The config is validated before
# any job runs: first by rnnlab (schema + model registry, one message naming each bad key),
# then by Snakemake against the same schema, which also fills in defaults.
import json

from snakemake.utils import validate

from rnnlab import layout
from rnnlab.config import from_dict
from rnnlab.workflow import Plan

CFG = from_dict(config, "config")
validate(config, "../schemas/config.schema.yaml")
PLAN = Plan(CFG)


wildcard_constraints:
    corpus=r"[A-Za-z0-9][A-Za-z0-9_.-]*",
    model=r"[a-z]+(-[A-Za-z0-9]+)*",
    seed=r"\d+",

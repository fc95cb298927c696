# rnnlab: corpora -> processed data -> models -> metrics -> figures -> report.
# Run `snakemake --cores all` (default preset) or add `--configfile config/paper.yaml`.
from snakemake.utils import min_version

min_version("9.0")


if not config:

    configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/data.smk"
include: "workflow/rules/models.smk"
include: "workflow/rules/analysis.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        layout.METRICS_CSV,
        layout.METRICS_JSON,
        layout.REPORT_HTML,
        layout.REPORT_MD,
        PLAN.analysis_dirs(),


# Each job removes its own checkpoint folder when it completes; the per-corpus and per-model
# folders above them are removed here, once no job can still be writing into them.
onsuccess:
    PLAN.remove_empty_checkpoint_folders()

# The lecture's analyses of the trained models (config `analysis:`; the analyses are listed in
# rnnlab/analysis/registry.py). Each writes tables and summary.json only (--no-figures); the
# figures rule draws every figure from them. `analyze` runs every per-corpus analysis;
# significance reads the collected metrics once.


rule analyze:
    input:
        unpack(lambda w: PLAN.analysis_inputs(w.analysis, w.corpus)),
    output:
        directory(layout.analysis_dir("{analysis}", "{corpus}")),
    wildcard_constraints:
        analysis=PLAN.per_corpus_analysis_pattern(),
    params:
        args=lambda w: PLAN.analysis_args(w.analysis, w.corpus),
        device=CFG.device,
    threads: CFG.threads
    priority: corpus_priority
    conda:
        "../envs/rnnlab.yaml"
    log:
        layout.log_file("analyze_{analysis}", "{corpus}"),
    benchmark:
        layout.benchmark_file("analyze_{analysis}", "{corpus}")
    resources:
        mem_mb=4000,
        runtime=lambda w: PLAN.analysis_runtime(w.analysis),
    shell:
        "rnnlab analyze {wildcards.analysis} --corpus-dir {input.corpus} --out {output} --no-figures"
        " --device {params.device} --threads {threads} {params.args} > {log} 2>&1"


rule analyze_significance:
    input:
        metrics=layout.METRICS_CSV,
    output:
        directory(layout.analysis_dir("significance")),
    conda:
        "../envs/rnnlab.yaml"
    log:
        layout.log_file("analyze_significance"),
    benchmark:
        layout.benchmark_file("analyze_significance")
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "rnnlab analyze significance --metrics {input.metrics} --out {output} --no-figures > {log} 2>&1"

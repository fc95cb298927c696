# The lecture's analyses of the trained models (config `analysis:`). Each rule writes tables and
# summary.json only (--no-figures); the figures rule draws every figure from them.


rule analyze_gradients:
    input:
        unpack(lambda w: PLAN.analysis_inputs("gradients", w.corpus)),
    output:
        directory("results/analysis/gradients/{corpus}"),
    wildcard_constraints:
        corpus=PLAN.analysis_pattern("gradients"),
    params:
        args=lambda w: PLAN.analysis_args("gradients", w.corpus),
        device=CFG.device,
    threads: CFG.threads
    conda:
        "../envs/rnnlab.yaml"
    log:
        "logs/analyze_gradients/{corpus}.log",
    benchmark:
        "results/benchmarks/analyze_gradients/{corpus}.tsv"
    resources:
        mem_mb=4000,
        runtime=60,
    shell:
        "rnnlab analyze gradients --corpus-dir {input.corpus} --out {output} --no-figures"
        " --device {params.device} --threads {threads} {params.args} > {log} 2>&1"


rule analyze_clipping:
    input:
        unpack(lambda w: PLAN.analysis_inputs("clipping", w.corpus)),
    output:
        directory("results/analysis/clipping/{corpus}"),
    wildcard_constraints:
        corpus=PLAN.analysis_pattern("clipping"),
    params:
        args=lambda w: PLAN.analysis_args("clipping", w.corpus),
        device=CFG.device,
    threads: CFG.threads
    conda:
        "../envs/rnnlab.yaml"
    log:
        "logs/analyze_clipping/{corpus}.log",
    benchmark:
        "results/benchmarks/analyze_clipping/{corpus}.tsv"
    resources:
        mem_mb=4000,
        runtime=120,
    shell:
        "rnnlab analyze clipping --corpus-dir {input.corpus} --out {output} --no-figures"
        " --device {params.device} --threads {threads} {params.args} > {log} 2>&1"


rule analyze_long_distance:
    input:
        unpack(lambda w: PLAN.analysis_inputs("long-distance", w.corpus)),
    output:
        directory("results/analysis/long-distance/{corpus}"),
    wildcard_constraints:
        corpus=PLAN.analysis_pattern("long-distance"),
    params:
        args=lambda w: PLAN.analysis_args("long-distance", w.corpus),
        device=CFG.device,
    threads: CFG.threads
    conda:
        "../envs/rnnlab.yaml"
    log:
        "logs/analyze_long_distance/{corpus}.log",
    benchmark:
        "results/benchmarks/analyze_long_distance/{corpus}.tsv"
    resources:
        mem_mb=4000,
        runtime=60,
    shell:
        "rnnlab analyze long-distance --corpus-dir {input.corpus} --out {output} --no-figures"
        " --device {params.device} --threads {threads} {params.args} > {log} 2>&1"


rule analyze_bidirectional:
    input:
        unpack(lambda w: PLAN.analysis_inputs("bidirectional", w.corpus)),
    output:
        directory("results/analysis/bidirectional/{corpus}"),
    wildcard_constraints:
        corpus=PLAN.analysis_pattern("bidirectional"),
    params:
        args=lambda w: PLAN.analysis_args("bidirectional", w.corpus),
        device=CFG.device,
    threads: CFG.threads
    conda:
        "../envs/rnnlab.yaml"
    log:
        "logs/analyze_bidirectional/{corpus}.log",
    benchmark:
        "results/benchmarks/analyze_bidirectional/{corpus}.tsv"
    resources:
        mem_mb=4000,
        runtime=30,
    shell:
        "rnnlab analyze bidirectional --corpus-dir {input.corpus} --out {output} --no-figures"
        " --device {params.device} --threads {threads} {params.args} > {log} 2>&1"


rule analyze_significance:
    input:
        metrics="results/metrics.csv",
    output:
        directory("results/analysis/significance"),
    conda:
        "../envs/rnnlab.yaml"
    log:
        "logs/analyze_significance.log",
    benchmark:
        "results/benchmarks/analyze_significance.tsv"
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "rnnlab analyze significance --metrics {input.metrics} --out {output} --no-figures > {log} 2>&1"

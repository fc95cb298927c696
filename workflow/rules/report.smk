# Figures from the tidy table, then one self-contained HTML report (and a Markdown twin).


rule figures:
    input:
        metrics="results/metrics.csv",
        curves="results/curves.csv",
    output:
        directory("results/figures"),
    conda:
        "../envs/rnnlab.yaml"
    log:
        "logs/figures.log",
    benchmark:
        "results/benchmarks/figures.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "rnnlab figures --metrics {input.metrics} --curves {input.curves} --out {output} > {log} 2>&1"


rule report:
    input:
        metrics="results/metrics.csv",
        figures="results/figures",
        corpora=PLAN.processed_dirs(),
    output:
        html="results/report/index.html",
        md="results/report/report.md",
    params:
        config=json.dumps(config, sort_keys=True),
        corpora=lambda w, input: " ".join(input.corpora),
    conda:
        "../envs/rnnlab.yaml"
    log:
        "logs/report.log",
    benchmark:
        "results/benchmarks/report.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "rnnlab report --metrics {input.metrics} --figures {input.figures} --corpora {params.corpora}"
        " --config-json {params.config:q} --benchmarks results/benchmarks --out results/report > {log} 2>&1"

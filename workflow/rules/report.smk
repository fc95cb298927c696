# Every figure from the cached results (metrics, curves, analysis tables), then one self-contained
# HTML report (and a Markdown twin). `make figures` reruns only these two rules.


rule figures:
    input:
        metrics="results/metrics.csv",
        curves="results/curves.csv",
        analysis=PLAN.analysis_dirs(),
    output:
        report(
            directory("results/figures"),
            patterns=["{name}.png"],
            caption="../report/figures.rst",
            category="Figures",
            subcategory=lambda w: PLAN.figure_section(w.name),
        ),
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
        "rnnlab figures --metrics {input.metrics} --curves {input.curves} --analysis results/analysis"
        " --benchmarks results/benchmarks --out {output} > {log} 2>&1"


rule report:
    input:
        metrics="results/metrics.csv",
        figures="results/figures",
        corpora=PLAN.processed_dirs(),
        analysis=PLAN.analysis_dirs(),
    output:
        html="results/report/index.html",
        md="results/report/report.md",
        claims="results/report/claims.csv",
        claims_tex="results/report/claims.tex",
        claims_metric="results/claims.json",
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
        " --config-json {params.config:q} --benchmarks results/benchmarks --analysis results/analysis"
        " --claims-metric {output.claims_metric} --out results/report > {log} 2>&1"

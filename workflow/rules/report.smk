# Every figure from the cached results (metrics, curves, analysis tables), then one self-contained
# HTML report (and a Markdown twin). `make figures` reruns only these two rules.


rule figures:
    input:
        metrics=layout.METRICS_CSV,
        curves=layout.CURVES_CSV,
        analysis=PLAN.analysis_dirs(),
    output:
        report(
            directory(layout.FIGURES),
            patterns=["{name}.png"],
            caption="../report/figures.rst",
            category="Figures",
            subcategory=lambda w: PLAN.figure_section(w.name),
        ),
    conda:
        "../envs/rnnlab.yaml"
    log:
        layout.log_file("figures"),
    benchmark:
        layout.benchmark_file("figures")
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "rnnlab figures --metrics {input.metrics} --curves {input.curves}"
        f" --analysis {layout.ANALYSIS} --benchmarks {layout.BENCHMARKS} --out {{output}} > {{log}} 2>&1"


rule report:
    input:
        metrics=layout.METRICS_CSV,
        timings=layout.TIMINGS_CSV,
        curves=layout.CURVES_CSV,
        figures=layout.FIGURES,
        corpora=PLAN.processed_dirs(),
        analysis=PLAN.analysis_dirs(),
    output:
        html=layout.REPORT_HTML,
        md=layout.REPORT_MD,
        claims=layout.REPORT_CLAIMS_CSV,
        claims_tex=layout.REPORT_CLAIMS_TEX,
        claims_metric=layout.CLAIMS_JSON,
    params:
        config=json.dumps(CFG.filled, sort_keys=True),
        corpora=lambda w, input: " ".join(input.corpora),
    conda:
        "../envs/rnnlab.yaml"
    log:
        layout.log_file("report"),
    benchmark:
        layout.benchmark_file("report")
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        "rnnlab report --metrics {input.metrics} --timings {input.timings} --curves {input.curves}"
        " --figures {input.figures}"
        " --corpora {params.corpora}"
        " --config-json {params.config:q}"
        f" --benchmarks {layout.BENCHMARKS} --analysis {layout.ANALYSIS} --claims-metric {{output.claims_metric}}"
        f" --out {layout.REPORT} > {{log}} 2>&1"

# Corpora: generate the embedded ones, download registry ones, then tokenize and build vocabularies.


rule generate_corpus:
    output:
        directory(layout.raw_dir("{corpus}")),
    wildcard_constraints:
        corpus=PLAN.corpus_pattern("generate"),
    params:
        args=lambda w: PLAN.generate_args(w.corpus),
    priority: corpus_priority
    conda:
        "../envs/rnnlab.yaml"
    log:
        layout.log_file("generate_corpus", "{corpus}"),
    benchmark:
        layout.benchmark_file("generate_corpus", "{corpus}")
    resources:
        mem_mb=1000,
        runtime=10,
    shell:
        "rnnlab generate {params.args} --out {output} > {log} 2>&1"


rule download_corpus:
    output:
        directory(layout.raw_dir("{corpus}")),
    wildcard_constraints:
        corpus=PLAN.corpus_pattern("download"),
    params:
        args=lambda w: PLAN.download_args(w.corpus),
    priority: corpus_priority
    conda:
        "../envs/rnnlab.yaml"
    log:
        layout.log_file("download_corpus", "{corpus}"),
    benchmark:
        layout.benchmark_file("download_corpus", "{corpus}")
    resources:
        mem_mb=1000,
        runtime=120,
    retries: 2
    shell:
        "rnnlab download {params.args} --out {output} > {log} 2>&1"


rule prepare_corpus:
    input:
        lambda w: PLAN.prepare_inputs(w.corpus),
    output:
        directory(layout.processed_dir("{corpus}")),
    params:
        args=lambda w: PLAN.prepare_args(w.corpus),
    priority: corpus_priority
    conda:
        "../envs/rnnlab.yaml"
    log:
        layout.log_file("prepare_corpus", "{corpus}"),
    benchmark:
        layout.benchmark_file("prepare_corpus", "{corpus}")
    resources:
        mem_mb=4000,
        runtime=30,
    shell:
        "rnnlab prepare {params.args} --out {output} > {log} 2>&1"

# Train every (task, corpus, model, seed) of the config, evaluate it, collect one tidy table.


rule train_model:
    input:
        corpus="data/processed/{corpus}",
    output:
        directory("results/models/{corpus}/{model}/seed{seed}"),
    params:
        task=lambda w: PLAN.task_of(w.corpus),
        hp=lambda w: json.dumps(CFG.model_params(PLAN.task_of(w.corpus), w.model), sort_keys=True),
        device=CFG.device,
        backend=PLAN.backend_option(),
        checkpoints="results/checkpoints/{corpus}/{model}/seed{seed}",
        memory=f"--memory {CFG.ngram_memory}" if CFG.ngram_memory else "",
    threads: CFG.threads
    conda:
        "../envs/rnnlab.yaml"
    log:
        "logs/train_model/{corpus}/{model}/seed{seed}.log",
    benchmark:
        "results/benchmarks/train_model/{corpus}/{model}/seed{seed}.tsv"
    resources:
        mem_mb=lambda w, attempt: 4000 * attempt,
        runtime=lambda w, attempt: 120 * attempt,
    shell:
        "rnnlab train --model {wildcards.model} --task {params.task} --corpus {wildcards.corpus}"
        " --corpus-dir {input.corpus} --out {output} --seed {wildcards.seed}"
        " --params-json {params.hp:q} --device {params.device} {params.backend}"
        " --checkpoint-dir {params.checkpoints} --threads {threads} {params.memory} > {log} 2>&1"


rule evaluate_model:
    input:
        corpus="data/processed/{corpus}",
        model="results/models/{corpus}/{model}/seed{seed}",
    output:
        "results/metrics/{corpus}/{model}/seed{seed}.csv",
    params:
        task=lambda w: PLAN.task_of(w.corpus),
        device=CFG.device,
        backend=PLAN.backend_option(),
    conda:
        "../envs/rnnlab.yaml"
    log:
        "logs/evaluate_model/{corpus}/{model}/seed{seed}.log",
    benchmark:
        "results/benchmarks/evaluate_model/{corpus}/{model}/seed{seed}.tsv"
    resources:
        mem_mb=4000,
        runtime=30,
    shell:
        "rnnlab evaluate --model {wildcards.model} --task {params.task} --corpus {wildcards.corpus}"
        " --corpus-dir {input.corpus} --model-dir {input.model} --seed {wildcards.seed}"
        " --device {params.device} {params.backend} --out {output} > {log} 2>&1"


rule collect_metrics:
    input:
        PLAN.metric_files(),
    output:
        csv="results/metrics.csv",
        timings="results/timings.csv",
        json="results/metrics.json",
        plots=directory("results/plots"),
    conda:
        "../envs/rnnlab.yaml"
    log:
        "logs/collect_metrics.log",
    benchmark:
        "results/benchmarks/collect_metrics.tsv"
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "rnnlab collect {input} --out {output.csv} --timings {output.timings} --json {output.json} --plots-dir {output.plots} > {log} 2>&1"


rule collect_curves:
    input:
        PLAN.curve_dirs(),
    output:
        "results/curves.csv",
    conda:
        "../envs/rnnlab.yaml"
    log:
        "logs/collect_curves.log",
    benchmark:
        "results/benchmarks/collect_curves.tsv"
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "rnnlab curves {input} --out {output} > {log} 2>&1"

# Train every (task, corpus, model, seed) of the config and score it in the same job; collect one tidy table.


# What both training rules pass to `rnnlab train`; they differ in how many seeds one job trains.
TRAIN_PARAMS = dict(
    task=lambda w: PLAN.task_of(w.corpus),
    hp=lambda w: json.dumps(CFG.model_params(PLAN.task_of(w.corpus), w.model), sort_keys=True),
    device=CFG.device,
    backend=PLAN.backend_option(),
    memory=f"--memory {CFG.ngram_memory}" if CFG.ngram_memory else "",
)
TRAIN_SHELL = (
    "rnnlab train --model {wildcards.model} --task {params.task} --corpus {wildcards.corpus}"
    " --corpus-dir {input.corpus} --out {output.models} --seed {params.seeds}"
    " --params-json {params.hp:q} --device {params.device} {params.backend}"
    " --checkpoint-dir {params.checkpoints} --threads {threads} {params.memory}"
    " --metrics-out {output.metrics} > {log} 2>&1"
)


# One job per run. With `seeds_in_one_job` it trains only the count models (seed 0).
rule train_model:
    input:
        corpus=layout.processed_dir("{corpus}"),
    output:
        models=directory(layout.model_dir("{corpus}", "{model}", "{seed}")),
        metrics=layout.metrics_file("{corpus}", "{model}", "{seed}"),
    wildcard_constraints:
        model=PLAN.per_seed_model_pattern(),
    params:
        **TRAIN_PARAMS,
        seeds=lambda w: w.seed,
        checkpoints=layout.checkpoint_dir("{corpus}", "{model}", "{seed}"),
    threads: CFG.threads
    priority: corpus_priority
    conda:
        "../envs/rnnlab.yaml"
    log:
        layout.log_file("train_model", layout.run_key("{corpus}", "{model}", "{seed}")),
    benchmark:
        layout.benchmark_file("train_model", layout.run_key("{corpus}", "{model}", "{seed}"))
    resources:
        mem_mb=lambda w, attempt: 4000 * attempt,
        runtime=lambda w, attempt: 120 * attempt,
    shell:
        TRAIN_SHELL


# One job per model with every seed of the config, one after another in one process.
if CFG.seeds_in_one_job:

    rule train_seeds:
        input:
            corpus=layout.processed_dir("{corpus}"),
        output:
            models=[directory(layout.model_dir("{corpus}", "{model}", s)) for s in CFG.seeds],
            metrics=[layout.metrics_file("{corpus}", "{model}", s) for s in CFG.seeds],
        wildcard_constraints:
            model=PLAN.seeded_model_pattern(),
        params:
            **TRAIN_PARAMS,
            seeds=" ".join(map(str, CFG.seeds)),
            checkpoints=[layout.checkpoint_dir("{corpus}", "{model}", s) for s in CFG.seeds],
        threads: CFG.threads
        priority: corpus_priority
        conda:
            "../envs/rnnlab.yaml"
        log:
            layout.log_file("train_seeds", layout.model_key("{corpus}", "{model}")),
        benchmark:
            layout.benchmark_file("train_seeds", layout.model_key("{corpus}", "{model}"))
        resources:
            mem_mb=lambda w, attempt: 4000 * attempt,
            runtime=lambda w, attempt: 120 * len(CFG.seeds) * attempt,
        shell:
            TRAIN_SHELL


rule collect_metrics:
    input:
        PLAN.metric_files(),
    output:
        csv=layout.METRICS_CSV,
        timings=layout.TIMINGS_CSV,
        json=layout.METRICS_JSON,
        plots=directory(layout.PLOTS),
    conda:
        "../envs/rnnlab.yaml"
    log:
        layout.log_file("collect_metrics"),
    benchmark:
        layout.benchmark_file("collect_metrics")
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "rnnlab collect {input} --out {output.csv} --timings {output.timings} --json {output.json} --plots-dir {output.plots} > {log} 2>&1"


rule collect_curves:
    input:
        PLAN.curve_dirs(),
    output:
        layout.CURVES_CSV,
    conda:
        "../envs/rnnlab.yaml"
    log:
        layout.log_file("collect_curves"),
    benchmark:
        layout.benchmark_file("collect_curves")
    resources:
        mem_mb=1000,
        runtime=5,
    shell:
        "rnnlab curves {input} --out {output} > {log} 2>&1"

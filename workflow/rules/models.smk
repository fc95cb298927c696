# Train every (task, corpus, model, seed) of the config and score it in the same job; collect one tidy table.


rule train_model:
    input:
        corpus=layout.processed_dir("{corpus}"),
    output:
        model=directory(layout.model_dir("{corpus}", "{model}", "{seed}")),
        metrics=layout.metrics_file("{corpus}", "{model}", "{seed}"),
    params:
        task=lambda w: PLAN.task_of(w.corpus),
        hp=lambda w: json.dumps(CFG.model_params(PLAN.task_of(w.corpus), w.model), sort_keys=True),
        device=CFG.device,
        backend=PLAN.backend_option(),
        checkpoints=layout.checkpoint_dir("{corpus}", "{model}", "{seed}"),
        memory=f"--memory {CFG.ngram_memory}" if CFG.ngram_memory else "",
    threads: CFG.threads
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
        "rnnlab train --model {wildcards.model} --task {params.task} --corpus {wildcards.corpus}"
        " --corpus-dir {input.corpus} --out {output.model} --seed {wildcards.seed}"
        " --params-json {params.hp:q} --device {params.device} {params.backend}"
        " --checkpoint-dir {params.checkpoints} --threads {threads} {params.memory}"
        " --metrics-out {output.metrics} > {log} 2>&1"


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

from __future__ import annotations

from django_tasks import task


@task()
def process_import_run(run_id: int) -> None:
    from merdeka.imports.pipeline import run_process  # pipeline imports this module

    run_process(run_id=run_id)


@task()
def process_import_file(file_id: int) -> None:
    from merdeka.imports.pipeline import file_process  # pipeline imports this module (via mapping)

    file_process(file_id=file_id)


@task()
def run_export_job(job_id: int) -> None:
    from merdeka.imports.export_jobs import export_job_run  # export_jobs imports this module

    export_job_run(job_id=job_id)

"""UC-D: distil the UC ensemble (the JTCSE pair mixed with an external encoder) into one
student tower, ``student_uc``."""

from jtcse.pipelines.uc_distillation.pipeline import create_pipeline

__all__ = ["create_pipeline"]

"""Drop teacher checkpoint paths from a distillation model config.

Used where every weight comes from one trained checkpoint (tools/test.py,
benchmarks) or where weights do not matter (FLOPs counting)."""


def clear_teacher_checkpoints(model_cfg) -> None:
    """Set teacher checkpoints to None, in place: ``teachers.<name>.ckpt``
    of MultiTeacherAdversarialDistill and mmrazor's ``teacher_ckpt``."""
    teachers = model_cfg.get('teachers') or {}
    if isinstance(teachers, dict):
        for spec in teachers.values():
            if isinstance(spec, dict) and 'cfg' in spec:
                spec['ckpt'] = None
    if 'teacher_ckpt' in model_cfg:
        model_cfg['teacher_ckpt'] = None

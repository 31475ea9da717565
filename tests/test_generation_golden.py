"""Generation is reproducible to the byte: the same seed gives the same quiz.json as it did when
these digests were recorded (before the generation speed-ups of issue 14), so no optimization of
sampling, answers or formatting changes what a class receives.

A family whose questions are changed on purpose (new wording, a new mistake) changes its digest:
run ``python -m tests.test_generation_golden`` and paste the printed tables over the ones below.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict

import pytest

from question_bank import DIFFICULTIES, families
from quizgen.roster import Student, make_variants
from quizgen.sampling import build_question, make_quiz, rng_for

FAMILY_SEEDS = range(6)  # two variants of each difficulty

QUIZZES = {  # (topic, seed, count, lang) -> digest of quiz.json without its version stamp
    ("all", 0, 40, "en"): "9e844f92d603805b",
    ("all", 1, 40, "zh"): "d39e954320f853b0",
    ("optimizers", 3, 12, "en"): "25d5845f1db93621",
    ("schedules", 9, 12, "zh"): "c5488eaddeaf549a",
}
# five students' shuffled variants of the ("all", seed 0, 10 questions) quiz
VARIANTS = "7f01125b2631f984"
FAMILIES = {  # six variants (two per difficulty) of each family
    "architecture.concepts": "e40ba1ce6f800264",
    "averaging.concepts": "2db7c1aacad1e64d",
    "averaging.distillation": "399c200d5f88b722",
    "averaging.effective_window": "d11733b0ca9d087b",
    "averaging.ema": "518bdc999422b5a8",
    "averaging.ewc_penalty": "c9dc394cb3e19b37",
    "averaging.fedavg": "75f0e465aacc6b14",
    "averaging.weight_average": "89228d855eb37d7c",
    "calculus.concepts": "dc985f8214fad199",
    "calculus.directional_derivative": "7f458e90962576db",
    "calculus.gradient_descent_step": "3f85888d4d411111",
    "calculus.gradient_vector": "10fb57ed160beb93",
    "calculus.steepest_ascent": "8cdab25f5cafc5c5",
    "clipping.clip_grad_norm": "f260d4ea1ac4244f",
    "clipping.clip_grad_value": "48016526ca715ccf",
    "clipping.concepts": "438b5d4d6c676d0b",
    "clipping.norm_vs_value": "6f1679619bfca58f",
    "gan.concepts": "ad62cc984a36a4fc",
    "gan.pixel_normalization": "eaea0ccfbb411090",
    "gan.soft_label_bce": "6665f2b0154b209e",
    "gan.wgan_gp_penalty": "fd4d14491cc72327",
    "hyperparameters.concepts": "57c53633fdf2df43",
    "hyperparameters.grid_search_size": "62bdad6df1219d56",
    "hyperparameters.random_search_hits": "84ca8abbd1b0bd09",
    "initialization.concepts": "827d5f18a93d5d41",
    "initialization.he_variance": "97cd0ee47a645ee8",
    "initialization.variance_propagation": "f5e172260be74aa6",
    "initialization.xavier_variance": "23300d8cb93f555a",
    "initialization.zero_init_symmetry": "81eafc33b1bbd123",
    "normalization.batchnorm_eval": "5d32665748893db4",
    "normalization.batchnorm_train": "d7d49964046768fd",
    "normalization.bn_param_count": "aeafc94df9ad77f6",
    "normalization.concepts": "51d40f94c3bd8b41",
    "normalization.instance_norm_stats": "79876a695f2df9de",
    "normalization.layernorm_output": "3c37a7b1e69b90e2",
    "normalization.norm_param_counts": "fba9967654bcf0d4",
    "normalization.rmsnorm_output": "14520bf590b57391",
    "optimizers.adafactor_factored": "7aee1f8711634c8d",
    "optimizers.adagrad_step": "3419ed0e7a0b0b5d",
    "optimizers.adam_step": "199e5684b432e428",
    "optimizers.adamw_vs_adam": "bf6cebbbf643bb68",
    "optimizers.concepts": "108ec5a60872c508",
    "optimizers.optimizer_state_memory": "1084cdccc17a50b6",
    "optimizers.rmsprop_step": "5fa9fabf1ed30d31",
    "optimizers.schedulefree_sgd": "7cf69eb5f2b0d1e0",
    "optimizers.sgd_momentum": "eae16952ec6af933",
    "schedules.concepts": "a0327ac9a11db4d6",
    "schedules.cosine_annealing": "8a83928b01bc90b1",
    "schedules.exponential_lr": "e74498c3b9c3bd68",
    "schedules.gd_quadratic": "09832bcf5209ec67",
    "schedules.gd_regime": "dcbc3df818e46229",
    "schedules.plateau": "e73bd2b2bf555695",
    "schedules.step_lr": "945e4962b1fdd27e",
    "schedules.time_based_decay": "1e810fe6ea05d153",
    "schedules.warm_restarts": "59d76368d039447b",
    "schedules.warmup_cosine": "86a12443264568f5",
    "spectral.concepts": "1d33ed1ddd48ffa0",
    "spectral.exact_sigma": "423bcfce5411b4e0",
    "spectral.normalized_weight": "c391c993e8958de9",
    "spectral.power_iteration": "d61f4ae4a504b354",
}


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def quiz_digest(topic: str, seed: int, count: int, lang: str) -> str:
    quiz = make_quiz(topic, count=count, seed=seed, lang=lang)
    quiz.created_with = {}  # the installed versions are not part of what was sampled
    return _digest(quiz.to_json())


def variants_digest() -> str:
    base = make_quiz("all", count=10, seed=0)
    students = [Student(f"s{i}", f"Student {i}") for i in range(5)]
    return _digest(make_variants(base, students, shuffle=True).to_json())


def family_digest(family_id: str) -> str:
    family = families()[family_id]
    questions = [
        asdict(build_question(family, rng_for(seed, "golden", family_id),
                              DIFFICULTIES[seed % 3], qid=f"q{seed}"))
        for seed in FAMILY_SEEDS
    ]
    return _digest(json.dumps(questions, ensure_ascii=False, sort_keys=True))


@pytest.mark.parametrize("key", list(QUIZZES), ids=lambda key: "-".join(map(str, key)))
def test_a_seeded_quiz_is_the_same_bytes_as_recorded(key):
    assert quiz_digest(*key) == QUIZZES[key]


def test_students_variants_are_the_same_bytes_as_recorded():
    assert variants_digest() == VARIANTS


@pytest.mark.parametrize("family_id", sorted(FAMILIES))
def test_each_familys_variants_are_the_same_bytes_as_recorded(family_id):
    assert family_digest(family_id) == FAMILIES[family_id], (
        f"{family_id} samples different questions than recorded; if that is intended, "
        "rerun `python -m tests.test_generation_golden` and update FAMILIES"
    )


def test_every_family_has_a_recorded_digest():
    missing = sorted(set(families()) - set(FAMILIES))
    assert not missing, f"no digest for {missing}: run python -m tests.test_generation_golden"


if __name__ == "__main__":
    print("QUIZZES = {")
    for key in QUIZZES:
        print(f"    {json.dumps(key)[1:-1].join('()')}: {json.dumps(quiz_digest(*key))},")
    print("}")
    print(f"VARIANTS = {json.dumps(variants_digest())}")
    print("FAMILIES = {")
    for family_id in sorted(families()):
        print(f"    {json.dumps(family_id)}: {json.dumps(family_digest(family_id))},")
    print("}")

"""Generation is reproducible to the byte: the same seed gives the same quiz.json as it did when
these digests were recorded from main's code (before the generation speed-ups of issue 14; again
from main when quiz.json gained each question's origin), so no optimization of sampling, answers
or formatting changes what a class receives.

A family whose questions are changed on purpose (new wording, a new mistake) changes its digest:
run ``python -m tests.test_generation_golden`` and paste the printed tables over the ones below.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from question_bank import DIFFICULTIES, families
from quizgen.model import question_to_dict
from quizgen.roster import Student, make_variants
from quizgen.sampling import build_question, make_quiz, rng_for

FAMILY_SEEDS = range(6)  # two variants of each difficulty

QUIZZES = {  # (topic, seed, count, lang) -> digest of quiz.json without its version stamp
    ("all", 0, 40, "en"): "9a19d24248e7748e",
    ("all", 1, 40, "zh"): "3b26e8102395059b",
    ("optimizers", 3, 12, "en"): "46c875022e324f1f",
    ("schedules", 9, 12, "zh"): "bf48056cd444bc8b",
}
VARIANTS = "3d913f358cc6f014"
FAMILIES = {  # six variants (two per difficulty) of each family
    "architecture.concepts": "cab6f9effa5923b8",
    "averaging.concepts": "3377485a1823cb39",
    "averaging.distillation": "f962e62d1e873e22",
    "averaging.effective_window": "f2c9a2ea26259bac",
    "averaging.ema": "9150ad9cdad091bb",
    "averaging.ewc_penalty": "e06882eaf87931a5",
    "averaging.fedavg": "19acf2f2907b1472",
    "averaging.weight_average": "754db95515024571",
    "calculus.concepts": "af15befff5e127b0",
    "calculus.directional_derivative": "a6b436c51a53d858",
    "calculus.gradient_descent_step": "27ea148a5a60706e",
    "calculus.gradient_vector": "09560d7de11bca73",
    "calculus.steepest_ascent": "a2e7e91cf0e547b2",
    "clipping.clip_grad_norm": "9235e8ff653515cc",
    "clipping.clip_grad_value": "a522717ef194644e",
    "clipping.concepts": "e12d3f0dcff2c9d8",
    "clipping.norm_vs_value": "a2209fc9f9fdce22",
    "gan.concepts": "501d86a722b5515d",
    "gan.pixel_normalization": "f89cad2df0fa8ade",
    "gan.soft_label_bce": "8028c36523199960",
    "gan.wgan_gp_penalty": "cf59f92ce7992bad",
    "hyperparameters.concepts": "5182ea677d056f77",
    "hyperparameters.grid_search_size": "cb88bed099d1cda1",
    "hyperparameters.random_search_hits": "072a0a1f1abdf640",
    "initialization.concepts": "58349f01e48577a9",
    "initialization.he_variance": "c9a891601c2c260c",
    "initialization.variance_propagation": "8521b801a0e0e614",
    "initialization.xavier_variance": "9528884d4d40fbe7",
    "initialization.zero_init_symmetry": "380f3f1576b998c1",
    "normalization.batchnorm_eval": "196b5825fad5d350",
    "normalization.batchnorm_train": "d639d70b7847225a",
    "normalization.bn_param_count": "a22e0b497cec3296",
    "normalization.concepts": "3390565c65ac185f",
    "normalization.instance_norm_stats": "927d26af65af2c95",
    "normalization.layernorm_output": "ec51d6e3d835fafa",
    "normalization.norm_param_counts": "4ccb332ed04e3514",
    "normalization.rmsnorm_output": "62d022b01f32bfe0",
    "optimizers.adafactor_factored": "23b6f746bd26f4fa",
    "optimizers.adagrad_step": "7713a2277e9a3cf4",
    "optimizers.adam_constant_gradient": "37ddf9158deb8bc9",
    "optimizers.adam_step": "ffd5a13f232b37c7",
    "optimizers.adamw_vs_adam": "2ddbf1093490ef4b",
    "optimizers.concepts": "232dfedf177b3c29",
    "optimizers.optimizer_state_memory": "38cf37cfb1634b03",
    "optimizers.rmsprop_step": "44a485de46b226a1",
    "optimizers.schedulefree_sgd": "c294e7dc28ac883b",
    "optimizers.sgd_momentum": "7abb2232f8976118",
    "schedules.concepts": "f6036ad8a40d4b9c",
    "schedules.cosine_annealing": "5f659ff6bf12dec1",
    "schedules.exponential_lr": "8df05c01c10d4469",
    "schedules.gd_quadratic": "bde013eeaee09a68",
    "schedules.gd_regime": "845a300af6222bb1",
    "schedules.plateau": "55077267fb2ec215",
    "schedules.step_lr": "858e7a52c03165ff",
    "schedules.time_based_decay": "4506487ec34d6e2f",
    "schedules.warm_restarts": "59a496caedb17545",
    "schedules.warmup_cosine": "54387ee7ba408a18",
    "spectral.concepts": "2b794b1a36fff3a3",
    "spectral.exact_sigma": "f13fa0c8a80dd74b",
    "spectral.normalized_weight": "ab5a944ab43ea717",
    "spectral.power_iteration": "7b788cb0fcdb81a4",
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
        question_to_dict(build_question(family, rng_for(seed, "golden", family_id),
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

"""Course banks written into tmp folders (shared by the tests of quizgen.bank)."""

from pathlib import Path

LABEL_SMOOTHING = """\
id = "course.label_smoothing"
topic = "course"
title = { en = "Label smoothing target", zh = "标签平滑的目标概率" }
kind = "number"
tolerance = { rtol = 1e-4 }
[params]
eps = { choice = [0.05, 0.1, 0.2] }
K   = { int = [3, 12] }
p   = { formula = "1 - eps + eps/K" }
[answer]
formula = "1 - eps + eps/K"
[prompt]
en = "With label smoothing ε = {eps} over K = {K} classes, what is the true class's target?"
zh = "标签平滑 ε = {eps}，共 K = {K} 类，真实类别的目标概率是多少？"
[[mistakes]]
name = "no_uniform_share"
formula = "1 - eps"
feedback = { en = "The mass ε/K also goes to the true class.", zh = "ε/K 也分给真实类别。" }
[[mistakes]]
name = "other_class"
formula = "eps/K"
feedback = { en = "That is what every other class gets.", zh = "这是其他类别的目标。" }
[[solution]]
en = "$1 - \\\\varepsilon + \\\\varepsilon/K = {answer}$"
zh = "$1 - \\\\varepsilon + \\\\varepsilon/K = {answer}$"
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root

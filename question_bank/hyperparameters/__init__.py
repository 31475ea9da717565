"""Hyper-parameter search: grid size and cost, random-search hit probabilities."""

"""Weight averaging: EMA, model soups and interpolation, FedAvg, EWC and distillation."""

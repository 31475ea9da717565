"""Learning-rate schedules, and the effect of the learning rate on gradient descent."""

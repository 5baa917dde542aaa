"""A toy model for the parameter sweep example: its loss is a smooth function of the
hyperparameters plus seeded noise, so every run of an item gives the same answer."""

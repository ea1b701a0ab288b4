"""Workflows compose the layers into the jobs the CLI runs (train, tune, predict, demo).

Each is a plain function, so notebooks and scripts can call them too.
"""

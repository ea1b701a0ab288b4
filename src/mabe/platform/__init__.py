"""Adapters to the platforms users compete and train on (Kaggle, offline Kaggle notebooks).

Every outside service is reached through one small boundary class, so tests
replace it with a fake and nothing here needs a network or an account.
"""

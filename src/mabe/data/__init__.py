"""Reading, checking, simulating and importing datasets in the Kaggle MABe layout."""

"""German language work and machine learning: pure functions and estimators, no database."""

"""Domain records and their persistence. No NLP, no UI."""

"""Flows that tie German NLP (`nlp`) and the domain store (`models`) together."""

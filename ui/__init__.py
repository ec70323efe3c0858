"""The Streamlit workbench: thin pages over the services in pipelines/."""

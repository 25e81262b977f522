"""The custom resource that shares existing model package groups with other accounts (its own asset:
`handler.py` runs in Lambda with the runtime's boto3 only)."""

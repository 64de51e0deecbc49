"""The reference app's demo service (``app.py``): not part of the ``cdk-watchkeeper`` wheel."""

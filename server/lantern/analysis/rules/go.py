"""Go checks."""

"""JavaScript and TypeScript checks."""

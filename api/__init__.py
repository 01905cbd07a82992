"""panel-kb's front ends: the `kb` command and the HTTP API (kept import-light)."""

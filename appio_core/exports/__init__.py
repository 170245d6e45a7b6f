"""Excel exports."""

"""A flow's recipient file: reading it, finding its columns, checking every row, the report."""

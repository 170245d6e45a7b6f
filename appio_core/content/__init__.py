"""What a message may carry, one module per rule: fiscal_code, lengths (subject and text, in
UTF-16 units as IO counts them), amounts, notice_numbers, due_dates; template (`{{colonna}}`
placeholders), markdown (values escaped into the Markdown text); cells (how a spreadsheet
cell reads as text); cta (call-to-action buttons, written into IO's front matter).
message.py gathers them for callers that want every rule.

May import appio_core.errors and nothing else of the core.
"""
